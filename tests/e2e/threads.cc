// Many threads reach a root at once: the initializer runs once (unbaked) or never (baked).
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "e2e.h"

static fastboot::root<std::map<int, std::string>> squares{"squares", [] {
  ++initializer_runs;
  std::map<int, std::string> m;
  for (int i = 0; i < 10000; ++i) m[i] = std::to_string(i * i);
  return m;
}};

int main() {
  std::vector<std::thread> threads;
  std::vector<std::size_t> seen(16);
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([t, &seen] { seen[t] = squares->size() + squares->at(t * 100).size(); });
  for (auto& th : threads) th.join();
  std::size_t total = 0;
  for (std::size_t s : seen) total += s;
  std::printf("16 threads saw %zu; squares[9999] = %s\n", total, squares->at(9999).c_str());
  print_status();
}
