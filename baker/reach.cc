#include "reach.h"

#include <algorithm>
#include <cstring>

namespace fastboot::baker {

Reachability reachable_allocations(const Dump& a, const Classification& c,
                                   const std::vector<std::uint64_t>& extra) {
  const auto& allocs = a.allocs;
  Reachability r;
  r.reached.assign(allocs.size(), false);
  r.parent.assign(allocs.size(), {});
  auto& reached = r.reached;
  std::vector<std::size_t> work;  // breadth first, so parents give shortest paths
  std::size_t next = 0;
  Reachability::Edge via;
  // Marks the allocation holding arena offset t: the one it lies in, or that it is one past the
  // end of when no allocation starts there.
  AllocIndex holding(allocs, a.arena.size());
  auto mark = [&](std::uint64_t t) {
    std::size_t i = holding.at_or_before(t);
    if (i == AllocIndex::kNone) return;
    auto it = allocs.begin() + std::ptrdiff_t(i);
    // A freed allocation still pointed to is kept (zeroed), so no baked pointer dangles.
    if (t > it->offset + it->size || reached[i]) return;
    reached[i] = true;
    r.parent[i] = via;
    work.push_back(i);
  };
  for (const Root& r : a.roots) mark(r.object_offset);
  for (std::uint64_t t : extra) mark(t);
  while (next < work.size()) {
    std::size_t index = work[next++];
    const auto& alloc = allocs[index];
    std::uint64_t end = std::min<std::uint64_t>(alloc.offset + alloc.size, a.arena.size());
    // Only whole words hold pointers (the arena's last word may be partial).
    for (std::uint64_t off = alloc.offset & ~7ull; off < end && off + 8 <= a.arena.size(); off += 8) {
      if (!(c.bitmap[off / 8 / 64] & (1ull << (off / 8 % 64)))) continue;
      std::uint64_t v;
      std::memcpy(&v, a.arena.data() + off, 8);
      via = {index, off - alloc.offset};
      mark(v - a.arena_base);
    }
  }
  return r;
}

}  // namespace fastboot::baker
