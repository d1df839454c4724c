// Written by tests/differential/generate.py --seed 459 --keep r0.p0 --tbb.
// Kept by bench/fuzz-differential; it failed with: FAIL: frozen-first: 1 of 3 roots frozen: fastboot: frozen root 'root-0': no image yet; ran the initializer; not frozen: the value differs from the one the program's own run built: a 64-byte object allocated at differential_seed-459_frozen+0x10404 (the 239th the value reaches): word 4 points to no ob
// Every root's parts, digested unbaked and baked, must print the same lines.
#include "digest.h"

static fuzz::Graph build_1([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::Graph(r, 6, 8);
}

static std::string build_2([[maybe_unused]] fuzz::Rng& r) {
  return r.str(16, 120);
}

static std::variant<fuzz::Graph, std::string> build_4([[maybe_unused]] fuzz::Rng& r) {
  std::variant<fuzz::Graph, std::string> v;
  v.emplace<0>(build_1(r));
  v.emplace<0>(build_1(r));
  return v;
}

static std::vector<std::variant<fuzz::Graph, std::string>> build_5([[maybe_unused]] fuzz::Rng& r) {
  std::vector<std::variant<fuzz::Graph, std::string>> v;
  for (int i = 0; i < 88; ++i) v.push_back(build_4(r));
  return v;
}

struct Root0 {
  std::vector<std::variant<fuzz::Graph, std::string>> p0;
};

static fuzz::Root<Root0> root0{"root-0", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r0{5815018585034830228ull};
  return Root0{build_5(r0)};
}};

int main() {
  fuzz::Digest d(fuzz::full_digest());
  d.begin("r0.p0");
  fuzz::dig(d, root0->p0);
  d.end();
  fuzz::print_status();
}
