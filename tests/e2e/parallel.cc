// Roots built by threads the initializer starts: a std::thread fan-out over fixed partitions
// and a std::async fan-out. Each thread's allocations are captured in a region of its own, so
// the image does not depend on how the threads interleaved.
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "e2e.h"

static std::string word(int i) {
  static const char* syllables[] = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "vo"};
  std::string w;
  for (int n = i * 7 + 3; n > 0; n /= 8) w += syllables[n % 8];
  return w;
}

struct Tables {
  std::vector<std::vector<std::string>> partitions;  // filled by std::thread workers
  std::vector<std::map<std::string, int>> counts;    // returned by std::async tasks
};

static fastboot::root<Tables> tables{"tables", [] {
  ++initializer_runs;
  Tables t;
  t.partitions.resize(4);
  std::vector<std::thread> workers;
  for (int p = 0; p < 4; ++p)
    workers.emplace_back([&t, p] {
      for (int i = p * 5000; i < (p + 1) * 5000; ++i) t.partitions[p].push_back(word(i));
    });
  for (auto& w : workers) w.join();
  std::vector<std::future<std::map<std::string, int>>> tasks;
  for (int p = 0; p < 3; ++p)
    tasks.push_back(std::async(std::launch::async, [p] {
      std::map<std::string, int> m;
      for (int i = 0; i < 4000; ++i) ++m[word(i * 3 + p).substr(0, 4)];
      return m;
    }));
  for (auto& f : tasks) t.counts.push_back(f.get());
  return t;
}};

int main() {
  const Tables& t = *tables;
  std::size_t words = 0, chars = 0;
  for (const auto& part : t.partitions)
    for (const auto& w : part) ++words, chars += w.size();
  std::printf("partitions: %zu words, %zu characters, first %s, last %s\n", words, chars,
              t.partitions.front().front().c_str(), t.partitions.back().back().c_str());
  for (const auto& m : t.counts) std::printf("task: %zu keys, %s=%d\n", m.size(), m.begin()->first.c_str(), m.begin()->second);
  print_status();
}
