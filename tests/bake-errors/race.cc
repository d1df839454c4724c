// A result that depends on how the threads were scheduled: four threads count until the
// initializer tells them to stop, and the counts are kept. The two bake runs' heaps differ, and
// the bake says so.
#include <fastboot/fastboot.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

static fastboot::root<std::vector<std::uint64_t>> counts{"counts", [] {
  std::vector<std::uint64_t> out;
  out.reserve(4);
  std::mutex lock;
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&] {
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) ++n;
      std::lock_guard<std::mutex> g(lock);
      out.push_back(n * 0x9e3779b97f4a7c15ull);
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  for (auto& w : workers) w.join();
  return out;
}};

int main() { return int(counts->size() & 1); }
