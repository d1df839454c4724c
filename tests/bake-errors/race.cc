// A result that depends on which thread won a race: four threads record, under a mutex, the
// order in which they got it. The two bake runs' heaps differ, and the bake says so.
#include <fastboot/fastboot.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

static fastboot::root<std::vector<std::uint64_t>> order{"order", [] {
  std::vector<std::uint64_t> out;
  out.reserve(40000);
  std::mutex lock;
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (std::uint64_t t = 1; t <= 4; ++t)
    workers.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < 10000; ++i) {
        std::lock_guard<std::mutex> g(lock);
        out.push_back(t * 0x9e3779b97f4a7c15ull);
      }
    });
  go = true;
  for (auto& w : workers) w.join();
  return out;
}};

int main() { return int(order->size() & 1); }
