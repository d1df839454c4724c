#include "reach.h"

#include "batched.h"
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

namespace fastboot::baker {

namespace {

// Calls fn(offset of the word, arena offset it points to) for each arena pointer in `alloc`
// until fn returns true; returns whether one did. Only whole words hold pointers (the arena's
// last word may be partial).
template <class Fn>
bool for_each_pointer(const Dump& a, const Classification& c, const protocol::DumpAlloc& alloc, Fn fn) {
  const std::uint64_t end = std::min<std::uint64_t>(alloc.offset + alloc.size, a.arena.size());
  for (std::uint64_t off = alloc.offset & ~7ull; off < end && off + 8 <= a.arena.size(); off += 8) {
    if (!(c.bitmap[off / 8 / 64] & (1ull << (off / 8 % 64)))) continue;
    std::uint64_t v;
    std::memcpy(&v, a.arena.data() + off, 8);
    if (fn(off, untagged(v) - a.arena_base)) return true;
  }
  return false;
}

// A walk visits allocations in the order it reached them, which in a large heap is all over the
// arena: before visiting queue[k] (of queue[0, end)), it fetches the records a few places ahead
// and the words of those whose records came already. Always inlined: called out of line (GCC
// -O2 did), the reach of 13 million nodes took 3.8 s instead of 1.6 s.
template <class Index>
inline __attribute__((always_inline)) void prefetch_ahead(const Dump& a, const Classification& c,
                                                          const std::vector<Index>& queue, std::size_t k,
                                                          std::size_t end) {
  constexpr std::size_t kAhead = 16;
  if (k + 2 * kAhead < end) __builtin_prefetch(&a.allocs[queue[k + 2 * kAhead]]);
  if (k + kAhead < end) {
    const std::uint64_t ahead = a.allocs[queue[k + kAhead]].offset;
    __builtin_prefetch(a.arena.data() + ahead);
    __builtin_prefetch(&c.bitmap[ahead / 8 / 64]);
  }
}

// Breadth first from the roots and `extra`, recording for each allocation the pointer it was
// first reached through (so parents give shortest paths). A pointer reaches the allocation it
// lies in, or that it is one past the end of when no allocation starts there; an address that is
// both the end of one allocation and the start of the next reads as the start.
Reachability walk_with_paths(const Dump& a, const Classification& c, const std::vector<std::uint64_t>& extra) {
  const auto& allocs = a.allocs;
  Reachability r;
  r.reached.assign(allocs.size(), false);
  r.parent.assign(allocs.size(), {});
  auto& reached = r.reached;
  std::vector<std::size_t> work;  // breadth first, so parents give shortest paths
  std::size_t next = 0;
  Reachability::Edge via;
  AllocIndex holding(allocs, a.arena.size());
  // A pointer's target is a random place in a large heap: targets are found in batches, their
  // records fetched while the batch fills, and settled in the order they were found (so the
  // walk stays breadth first).
  struct Found {
    std::uint64_t t;
    std::size_t i;
    Reachability::Edge via;
  };
  auto settle = [&](const Found& f) {
    const std::size_t i = f.i;
    // A freed allocation still pointed to is kept (zeroed), so no baked pointer dangles.
    if (f.t > alloc_end(allocs[i]) || reached[i]) return;
    reached[i] = true;
    r.parent[i] = f.via;
    work.push_back(i);
  };
  Batched<Found, 32, decltype(settle)> found(settle);
  auto mark = [&](std::uint64_t t) {
    std::size_t i = holding.at_or_before(t);
    if (i == AllocIndex::kNone) return;
    __builtin_prefetch(&allocs[i]);
    found.add({t, i, via});
  };
  for (const Root& r : a.roots) mark(r.object_offset);
  for (std::size_t g = 0; g < extra.size(); ++g) {
    via.global = g;
    mark(extra[g]);
  }
  via.global = Reachability::kNone;
  for (;;) {
    if (next == work.size()) {
      found.flush();
      if (next == work.size()) break;
    }
    prefetch_ahead(a, c, work, next, work.size());
    const std::size_t index = work[next++];
    const auto& alloc = allocs[index];
    for_each_pointer(a, c, alloc, [&](std::uint64_t off, std::uint64_t t) {
      via = {index, off - alloc.offset};
      mark(t);
      return false;
    });
  }
  return r;
}

// The same set without paths, level by level on every core: each part of a level claims the
// allocations its pointers reach with an atomic bit and lists them for the next level. Which part
// claims an allocation first does not change the set. A pointer's target is a random place in a
// large heap, so the walk waits on memory, and two cores keep twice the misses in flight. With
// `ambiguous_starts` false, an address that is both the end of one allocation and the start of
// the next reaches nothing, except a root's object, which starts there.
//
// A level stays as its parts listed it (not joined into one list, which held it twice), with
// 32-bit indexes where the allocations are that few: a million objects that one vector holds
// make a level of a million.
template <class Index>
Reachability walk_parallel_with(const Dump& a, const Classification& c, const std::vector<std::uint64_t>& extra,
                                bool ambiguous_starts) {
  using List = std::vector<Index>;
  const auto& allocs = a.allocs;
  const AllocIndex holding(allocs, a.arena.size());
  std::vector<std::atomic<std::uint64_t>> bits((allocs.size() + 63) / 64);
  for (auto& w : bits) w.store(0, std::memory_order_relaxed);
  // Whether a pointer to arena offset t reaches allocation i (at or before t), and claims it. A
  // pointer to an allocation's first byte (most are) needs no record read to tell.
  auto claim = [&](std::uint64_t t, std::size_t i, bool root, List& next) {
    if (!holding.starts_at(t) || !ambiguous_starts) {
      if (t > alloc_end(allocs[i])) return;
      if (!ambiguous_starts && !root && t == allocs[i].offset && i > 0 && allocs[i - 1].offset + allocs[i - 1].size == t)
        return;
    }
    const std::uint64_t bit = 1ull << (i % 64);
    if (bits[i / 64].load(std::memory_order_relaxed) & bit) return;
    if (!(bits[i / 64].fetch_or(bit, std::memory_order_relaxed) & bit)) next.push_back(Index(i));
  };
  std::vector<List> level(1), found(parallel_parts());
  for (const Root& r : a.roots)
    if (std::size_t i = holding.at_or_before(r.object_offset); i != AllocIndex::kNone) claim(r.object_offset, i, true, level[0]);
  for (std::uint64_t t : extra)
    if (std::size_t i = holding.at_or_before(t); i != AllocIndex::kNone) claim(t, i, false, level[0]);
  for (;;) {
    std::size_t total = 0;
    for (const List& l : level) total += l.size();
    if (total == 0) break;
    parallel_for(total, [&](std::size_t begin, std::size_t end, std::size_t p) {
      List& next = found[p];
      // [begin, end) of the level's parts one after another.
      std::size_t first = 0;
      for (const List& l : level) {
        const std::size_t from = std::max(begin, first) - first, to = std::min(end, first + l.size());
        for (std::size_t k = from; first + k < to; ++k) {
          prefetch_ahead(a, c, l, k, to - first);
          for_each_pointer(a, c, allocs[l[k]], [&](std::uint64_t, std::uint64_t t) {
            if (std::size_t i = holding.at_or_before(t); i != AllocIndex::kNone) claim(t, i, false, next);
            return false;
          });
        }
        first += l.size();
      }
    });
    level.swap(found);
    for (List& l : found) List().swap(l);  // the level just walked
    found.resize(parallel_parts());
  }
  Reachability r;
  r.reached.assign(allocs.size(), false);
  for (std::size_t i = 0; i < allocs.size(); ++i)
    if (bits[i / 64].load(std::memory_order_relaxed) & (1ull << (i % 64))) r.reached[i] = true;
  return r;
}

Reachability walk_parallel(const Dump& a, const Classification& c, const std::vector<std::uint64_t>& extra,
                           bool ambiguous_starts) {
  if (a.allocs.size() <= std::numeric_limits<std::uint32_t>::max())
    return walk_parallel_with<std::uint32_t>(a, c, extra, ambiguous_starts);
  return walk_parallel_with<std::size_t>(a, c, extra, ambiguous_starts);
}

}  // namespace

Reachability reachable_allocations(const Dump& a, const Classification& c,
                                   const std::vector<std::uint64_t>& extra, bool paths) {
  return paths ? walk_with_paths(a, c, extra) : walk_parallel(a, c, extra, true);
}

bool reaches_unbakeable(const Classification& c, const Reachability& reach) {
  for (const BadWord& w : c.bad)
    if (reach.reached[w.alloc]) return true;
  return false;
}

bool reaches_any(const Dump& a, const Classification& c, const std::vector<std::uint64_t>& starts,
                 const std::vector<bool>& skip, const std::vector<bool>& targets) {
  const auto& allocs = a.allocs;
  AllocIndex holding(allocs, a.arena.size());
  std::vector<bool> seen(allocs.size());
  std::vector<std::size_t> work;
  auto mark = [&](std::uint64_t t) {
    std::size_t i = holding.at_or_before(t);
    if (i == AllocIndex::kNone || t > alloc_end(allocs[i]) || seen[i] || skip[i]) return false;
    seen[i] = true;
    work.push_back(i);
    return bool(targets[i]);
  };
  for (std::uint64_t t : starts)
    if (mark(t)) return true;
  while (!work.empty()) {
    const auto& alloc = allocs[work.back()];
    work.pop_back();
    if (for_each_pointer(a, c, alloc, [&](std::uint64_t, std::uint64_t t) { return mark(t); })) return true;
  }
  return false;
}

bool unbakeable_only_through_boundaries(const Dump& a, const Classification& c, const Reachability& reach,
                                        const std::vector<std::uint64_t>& extra) {
  if (!reaches_unbakeable(c, reach)) return false;
  Reachability certain = walk_parallel(a, c, extra, false);
  for (const BadWord& w : c.bad)
    if (reach.reached[w.alloc] && !certain.reached[w.alloc]) return true;
  return false;
}

}  // namespace fastboot::baker
