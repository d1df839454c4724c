// Written by tests/differential/generate.py --seed 439 --keep r0.p1 --tbb.
// Kept by bench/fuzz-differential; it failed with: FAIL: frozen-first: 1 of 2 roots frozen: fastboot: frozen root 'root-0': no image yet; ran the initializer; not frozen: the value differs from the one the program's own run built: a 64-byte object allocated at differential_seed-439_frozen+0x10bc0 (the 156th the value reaches): word 4 points to no ob
// Every root's parts, digested unbaked and baked, must print the same lines.
#include "digest.h"

static fuzz::Graph build_12([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::Graph(r, 2, 2);
}

static std::list<fuzz::Graph> build_13([[maybe_unused]] fuzz::Rng& r) {
  std::list<fuzz::Graph> c;
  for (int i = 0; i < 239; ++i) c.push_back(build_12(r));
  return c;
}

struct Root0 {
  std::list<fuzz::Graph> p1;
};

static fuzz::Root<Root0> root0{"root-0", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r1{5165665883807644898ull};
  return Root0{build_13(r1)};
}};

int main() {
  fuzz::Digest d(fuzz::full_digest());
  d.begin("r0.p1");
  fuzz::dig(d, root0->p1);
  d.end();
  fuzz::print_status();
}
