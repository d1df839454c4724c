// Written by tests/differential/generate.py --seed 393 --keep r1.p3,r1.p4 --tbb.
// Kept by bench/fuzz-differential; it failed with: FAIL: frozen-first: 0 of 2 roots frozen: fastboot: frozen root 'root-0': no image yet; ran the initializer; not frozen: the value differs from the one the program's own run built: a 64-byte object allocated at differential_seed-393_frozen+0x10691 (the 251th the value reaches): word 5 points to no ob
// Every root's parts, digested unbaked and baked, must print the same lines.
#include "digest.h"

static fuzz::Graph build_18([[maybe_unused]] fuzz::Rng& r) {
  return fuzz::Graph(r, 86, 8);
}

static std::string build_19([[maybe_unused]] fuzz::Rng& r) {
  return r.str(16, 120);
}

static std::forward_list<std::string> build_20([[maybe_unused]] fuzz::Rng& r) {
  std::forward_list<std::string> c;
  for (int i = 0; i < 391; ++i) c.push_front(build_19(r));
  return c;
}

struct Root1 {
  fuzz::Graph p3;
  std::forward_list<std::string> p4;
};

static fuzz::Root<Root1> root1{"root-1", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r3{1395517895224824134ull};
  fuzz::Rng r4{7833658058121069851ull};
  return Root1{build_18(r3), build_20(r4)};
}};

int main() {
  fuzz::Digest d(fuzz::full_digest());
  d.begin("r1.p3");
  fuzz::dig(d, root1->p3);
  d.end();
  d.begin("r1.p4");
  fuzz::dig(d, root1->p4);
  d.end();
  fuzz::print_status();
}
