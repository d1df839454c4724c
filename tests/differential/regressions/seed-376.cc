// Written by tests/differential/generate.py --seed 376 --keep r1.p0 --tbb.
// Kept by bench/fuzz-differential; it failed with: FAIL: frozen-first: 2 of 3 roots frozen: fastboot: frozen root 'root-0': no image yet; ran the initializer and froze it: image written
// Every root's parts, digested unbaked and baked, must print the same lines.
#include "digest.h"

static fuzz::Graph build_7([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::Graph(r, 23, 7);
}

static std::list<fuzz::Graph> build_8([[maybe_unused]] fuzz::Rng& r) {
  std::list<fuzz::Graph> c;
  for (int i = 0; i < 43; ++i) c.push_back(build_7(r));
  return c;
}

struct Root1 {
  std::list<fuzz::Graph> p0;
};

static fuzz::Root<Root1> root1{"root-1", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r0{3850786790800988630ull};
  return Root1{build_8(r0)};
}};

int main() {
  fuzz::Digest d(fuzz::full_digest());
  d.begin("r1.p0");
  fuzz::dig(d, root1->p0);
  d.end();
  fuzz::print_status();
}
