// Parallel loops, the only form of parallelism in the baker: [0, n) split into one contiguous
// range per hardware thread, each handled by fn(begin, end, part) on its own thread. Parts
// must not share mutable state; callers merge per-part results afterwards, in part order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace fastboot::baker {

inline std::size_t parallel_parts() { return std::max(1u, std::thread::hardware_concurrency()); }

template <class Fn>
void parallel_for(std::size_t n, Fn fn) {
  std::size_t parts = std::min(parallel_parts(), std::max<std::size_t>(1, n / 4096));
  std::vector<std::thread> threads;
  for (std::size_t p = 1; p < parts; ++p)
    threads.emplace_back([&, p] { fn(n * p / parts, n * (p + 1) / parts, p); });
  fn(0, n / parts, 0);
  for (auto& t : threads) t.join();
}

}  // namespace fastboot::baker
