// The baker's two forms of parallelism. Parallel loops: [0, n) split into one contiguous range
// per hardware thread, each handled by fn(begin, end, part) on its own thread; parts must not
// share mutable state, and callers merge per-part results afterwards, in part order. And a task
// beside the pipeline (Beside): a pass that only reads what the passes after it leave alone,
// run on a thread of its own until they need its result.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <utility>
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

// fn() on its own thread from construction until wait(), which throws what fn threw. Joined at
// the latest on destruction, so an error the pipeline throws meanwhile leaves no thread behind.
class Beside {
 public:
  template <class Fn>
  explicit Beside(Fn fn)
      : thread_([this, fn = std::move(fn)]() mutable {
          try {
            fn();
          } catch (...) {
            failed_ = std::current_exception();
          }
        }) {}
  Beside(const Beside&) = delete;
  Beside& operator=(const Beside&) = delete;
  ~Beside() {
    if (thread_.joinable()) thread_.join();
  }
  void wait() {
    if (thread_.joinable()) thread_.join();
    if (failed_) std::rethrow_exception(std::exchange(failed_, nullptr));
  }

 private:
  std::exception_ptr failed_;  // before thread_: set by the thread it starts
  std::thread thread_;
};

}  // namespace fastboot::baker
