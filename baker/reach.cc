#include "reach.h"

#include <algorithm>
#include <cstring>

namespace fastboot::baker {

std::vector<bool> reachable_allocations(const Dump& a, const Classification& c,
                                        const std::vector<std::uint64_t>& extra) {
  const auto& allocs = a.allocs;
  std::vector<bool> reached(allocs.size(), false);
  std::vector<std::size_t> work;
  // Marks the allocations holding arena offset t; a pointer one past the end of one allocation
  // may also be the start of the next, so both count.
  auto mark = [&](std::uint64_t t) {
    auto it = std::upper_bound(allocs.begin(), allocs.end(), t,
                               [](std::uint64_t v, const protocol::DumpAlloc& x) { return v < x.offset; });
    while (it != allocs.begin()) {
      --it;
      std::size_t i = std::size_t(it - allocs.begin());
      if (t > it->offset + it->size) break;
      if (!(it->flags & protocol::kAllocFreed) && !reached[i]) {
        reached[i] = true;
        work.push_back(i);
      }
      if (t != it->offset) break;  // an exact start may also be the end of the previous one
    }
  };
  for (const Root& r : a.roots) mark(r.object_offset);
  for (std::uint64_t t : extra) mark(t);
  while (!work.empty()) {
    const auto& alloc = allocs[work.back()];
    work.pop_back();
    std::uint64_t end = std::min<std::uint64_t>(alloc.offset + alloc.size, a.arena.size());
    for (std::uint64_t off = alloc.offset & ~7ull; off + 8 <= end + 7 && off < end; off += 8) {
      if (!(c.bitmap[off / 8 / 64] & (1ull << (off / 8 % 64)))) continue;
      std::uint64_t v;
      std::memcpy(&v, a.arena.data() + off, 8);
      mark(v - a.arena_base);
    }
  }
  return reached;
}

}  // namespace fastboot::baker
