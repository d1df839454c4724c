// Written by tests/differential/generate.py --seed 481 --keep r0.p0 --tbb.
// Kept by bench/fuzz-differential; it failed with: FAIL: frozen-first: 2 of 3 roots frozen: fastboot: frozen root 'root-0': no image yet; ran the initializer; not frozen: the value differs from the one the program's own run built: a 64-byte object allocated at differential_seed-481_frozen+0x11a9a (the 529th the value reaches): word 4 points to no ob
// Every root's parts, digested unbaked and baked, must print the same lines.
#include "digest.h"

static fuzz::Graph build_1([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::Graph(r, 5, 1);
}

static std::vector<fuzz::Graph> build_2([[maybe_unused]] fuzz::Rng& r) {
  std::vector<fuzz::Graph> v;
  for (int i = 0; i < 174; ++i) v.push_back(build_1(r));
  v.shrink_to_fit();
  return v;
}

static std::unique_ptr<std::vector<fuzz::Graph>> build_3([[maybe_unused]] fuzz::Rng& r) {
  return std::make_unique<std::vector<fuzz::Graph>>(build_2(r));
}

static std::unique_ptr<std::unique_ptr<std::vector<fuzz::Graph>>> build_4([[maybe_unused]] fuzz::Rng& r) {
  return std::make_unique<std::unique_ptr<std::vector<fuzz::Graph>>>(build_3(r));
}

struct Root0 {
  std::unique_ptr<std::unique_ptr<std::vector<fuzz::Graph>>> p0;
};

static fuzz::Root<Root0> root0{"root-0", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r0{1656850251588330703ull};
  return Root0{build_4(r0)};
}};

int main() {
  fuzz::Digest d(fuzz::full_digest());
  d.begin("r0.p0");
  fuzz::dig(d, root0->p0);
  d.end();
  fuzz::print_status();
}
