// Work that waits on a random memory access, done in batches so that the accesses overlap: the
// caller prefetches what an item will need and adds it; every N items, and at flush(), `handle`
// takes each in the order they came. Following the pointers of a heap of small nodes is bounded
// by how many such misses are in flight, not by the work on each.
#pragma once

#include <cstddef>
#include <utility>

namespace fastboot::baker {

template <class T, std::size_t N, class Handle>
class Batched {
 public:
  explicit Batched(Handle handle) : handle_(std::move(handle)) {}
  void add(const T& item) {
    items_[count_++] = item;
    if (count_ == N) flush();
  }
  void flush() {
    for (std::size_t k = 0; k < count_; ++k) handle_(items_[k]);
    count_ = 0;
  }

 private:
  Handle handle_;
  T items_[N];
  std::size_t count_ = 0;
};

}  // namespace fastboot::baker
