// Racy but equal: four threads append to one vector under a mutex, in whatever order they get
// the lock, and the initializer sorts the result. Which thread grew the vector, and where each
// object lands, differs from run to run; the heap reached from the root does not.
#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "e2e.h"

static fastboot::root<std::vector<std::string>> lines{"lines", [] {
  ++initializer_runs;
  std::vector<std::string> out;
  std::mutex lock;
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string line = "line " + std::to_string(t) + "/" + std::to_string(i) + " of a racy but equal build";
        std::lock_guard<std::mutex> g(lock);
        out.push_back(std::move(line));
      }
    });
  for (auto& w : workers) w.join();
  std::sort(out.begin(), out.end());
  return out;
}};

int main() {
  const auto& l = *lines;
  std::size_t chars = 0;
  for (const auto& s : l) chars += s.size();
  std::printf("%zu lines (capacity %zu), %zu characters, first '%s', last '%s'\n", l.size(), l.capacity(), chars,
              l.front().c_str(), l.back().c_str());
  print_status();
}
