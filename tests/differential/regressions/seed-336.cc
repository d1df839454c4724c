// Written by tests/differential/generate.py --seed 336 --keep r0.p2 --tbb.
// Kept by bench/fuzz-differential; it failed with: FAIL: frozen-first: 0 of 1 roots frozen: fastboot: frozen root 'root-0': no image yet; ran the initializer; not frozen: the value differs from the one the program's own run built: a 64-byte object allocated at differential_seed-336_frozen+0xdce5 (the 683th the value reaches): word 4 points to no obj
// Every root's parts, digested unbaked and baked, must print the same lines.
#include "digest.h"

static fuzz::Graph build_3([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::Graph(r, 2, 1);
}

static std::shared_ptr<fuzz::Graph> build_4([[maybe_unused]] fuzz::Rng& r) {
  return std::shared_ptr<fuzz::Graph>(new fuzz::Graph(build_3(r)));
}

static std::vector<std::shared_ptr<fuzz::Graph>> build_5([[maybe_unused]] fuzz::Rng& r) {
  std::vector<std::shared_ptr<fuzz::Graph>> v;
  for (int i = 0; i < 389; ++i) v.push_back(build_4(r));
  if (v.size() > 2) v.erase(v.begin() + 1, v.begin() + v.size() / 2);
  return v;
}

struct Root0 {
  std::vector<std::shared_ptr<fuzz::Graph>> p2;
};

static fuzz::Root<Root0> root0{"root-0", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r2{125877371231990880ull};
  return Root0{build_5(r2)};
}};

int main() {
  fuzz::Digest d(fuzz::full_digest());
  d.begin("r0.p2");
  fuzz::dig(d, root0->p2);
  d.end();
  fuzz::print_status();
}
