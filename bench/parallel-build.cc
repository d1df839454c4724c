// A root built with threads, for bench/parallel-bake: BUILD selects how. 0: one thread;
// 1: four threads over fixed partitions (each thread's allocations are the same in every run);
// 2: four threads appending under a mutex (the split depends on timing), sorted at the end.
#include <fastboot/fastboot.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

constexpr int kItems = 400000;

static std::string item(int i) { return "item " + std::to_string(i * 2654435761u % 1000003) + " with a heap buffer"; }

static fastboot::root<std::vector<std::string>> items{"items", [] {
  std::vector<std::string> out;
#if BUILD == 0
  for (int i = 0; i < kItems; ++i) out.push_back(item(i));
#elif BUILD == 1
  std::vector<std::vector<std::string>> parts(4);
  std::vector<std::thread> workers;
  for (int p = 0; p < 4; ++p)
    workers.emplace_back([&parts, p] {
      for (int i = p * kItems / 4; i < (p + 1) * kItems / 4; ++i) parts[p].push_back(item(i));
    });
  for (auto& w : workers) w.join();
  for (auto& part : parts)
    for (auto& s : part) out.push_back(std::move(s));
#else
  std::mutex lock;
  std::vector<std::thread> workers;
  for (int p = 0; p < 4; ++p)
    workers.emplace_back([&, p] {
      for (int i = p; i < kItems; i += 4) {
        std::string s = item(i);
        std::lock_guard<std::mutex> g(lock);
        out.push_back(std::move(s));
      }
    });
  for (auto& w : workers) w.join();
#endif
  std::sort(out.begin(), out.end());
  return out;
}};

int main() { std::printf("%zu items, first %s\n", items->size(), items->front().c_str()); }
