// A frozen root and a baked root first reached by many threads at once: each value is built or
// mapped once, and every thread sees the same one.
#include <fastboot/fastboot.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<int> frozen_runs{0}, baked_runs{0};

fastboot::frozen<std::map<std::string, int>> squares{"squares", [] {
  ++frozen_runs;
  std::map<std::string, int> m;
  int n = std::atoi(std::getenv("FROZEN_COUNT") ? std::getenv("FROZEN_COUNT") : "100");
  for (int i = 0; i < n; ++i) m["k" + std::to_string(i)] = i * i;
  return m;
}};

fastboot::root<std::vector<int>> primes{"primes", [] {
  ++baked_runs;
  std::vector<int> p;
  for (int i = 2; p.size() < 50; ++i) {
    bool prime = true;
    for (int q : p) prime = prime && i % q != 0;
    if (prime) p.push_back(i);
  }
  return p;
}};

}  // namespace

int main() {
  std::vector<std::thread> threads;
  std::atomic<long> sum{0};
  std::vector<const void*> seen(16);
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      seen[t] = &*squares;
      long s = 0;
      for (const auto& [k, v] : *squares) s += v;
      sum += s + primes->back();
    });
  for (auto& t : threads) t.join();
  bool same = true;
  for (const void* p : seen) same = same && p == seen[0];
  std::printf("sum %ld, one value %s, initializer runs: frozen %d baked %d\n", sum.load(), same ? "yes" : "no",
              frozen_runs.load(), baked_runs.load());
  return 0;
}
