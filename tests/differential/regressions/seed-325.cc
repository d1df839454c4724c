// Written by tests/differential/generate.py --seed 325 --keep r1.p1 --tbb.
// Kept by bench/fuzz-differential; it failed with: FAIL: frozen-first: 2 of 3 roots frozen: fastboot: frozen root 'root-0': no image yet; ran the initializer and froze it: image written
// Every root's parts, digested unbaked and baked, must print the same lines.
#include "digest.h"

static std::string build_10([[maybe_unused]] fuzz::Rng& r) {
  return r.str(0, 15);
}

static std::vector<std::string> build_11([[maybe_unused]] fuzz::Rng& r) {
  std::vector<std::string> v;
  for (int i = 0; i < 1; ++i) v.push_back(build_10(r));
  if (v.size() > 2) v.erase(v.begin() + 1, v.begin() + v.size() / 2);
  return v;
}

static std::tuple<std::shared_ptr<std::vector<std::string>>, std::shared_ptr<std::vector<std::string>>, std::weak_ptr<std::vector<std::string>>> build_12([[maybe_unused]] fuzz::Rng& r) {
  auto a = std::make_shared<std::vector<std::string>>(build_11(r));
  std::weak_ptr<std::vector<std::string>> w = std::make_shared<std::vector<std::string>>(build_11(r));
  return std::tuple<std::shared_ptr<std::vector<std::string>>, std::shared_ptr<std::vector<std::string>>, std::weak_ptr<std::vector<std::string>>>{a, nullptr, w};
}

static std::vector<std::tuple<std::shared_ptr<std::vector<std::string>>, std::shared_ptr<std::vector<std::string>>, std::weak_ptr<std::vector<std::string>>>> build_13([[maybe_unused]] fuzz::Rng& r) {
  std::vector<std::tuple<std::shared_ptr<std::vector<std::string>>, std::shared_ptr<std::vector<std::string>>, std::weak_ptr<std::vector<std::string>>>> v;
  for (int i = 0; i < 195; ++i) v.push_back(build_12(r));
  v.shrink_to_fit();
  return v;
}

struct Root1 {
  std::vector<std::tuple<std::shared_ptr<std::vector<std::string>>, std::shared_ptr<std::vector<std::string>>, std::weak_ptr<std::vector<std::string>>>> p1;
};

static fuzz::Root<Root1> root1{"root-1", [] {
  ++fuzz::initializer_runs;
  fuzz::Rng r1{3449032538455222794ull};
  return Root1{build_13(r1)};
}};

int main() {
  fuzz::Digest d(fuzz::full_digest());
  d.begin("r1.p1");
  fuzz::dig(d, root1->p1);
  d.end();
  fuzz::print_status();
}
