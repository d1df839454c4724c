#include "reach.h"

#include "batched.h"
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace fastboot::baker {

namespace {

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
  // Allocations are visited in the order they were reached, which in a large heap is all over
  // the arena: the ones a few places ahead in the queue are fetched while this one is read.
  constexpr std::size_t kAhead = 16;
  for (;;) {
    if (next == work.size()) {
      found.flush();
      if (next == work.size()) break;
    }
    if (next + 2 * kAhead < work.size()) __builtin_prefetch(&allocs[work[next + 2 * kAhead]]);
    if (next + kAhead < work.size()) {
      std::uint64_t ahead = allocs[work[next + kAhead]].offset;
      __builtin_prefetch(a.arena.data() + ahead);
      __builtin_prefetch(&c.bitmap[ahead / 8 / 64]);
    }
    std::size_t index = work[next++];
    const auto& alloc = allocs[index];
    std::uint64_t end = std::min<std::uint64_t>(alloc.offset + alloc.size, a.arena.size());
    // Only whole words hold pointers (the arena's last word may be partial).
    for (std::uint64_t off = alloc.offset & ~7ull; off < end && off + 8 <= a.arena.size(); off += 8) {
      if (!(c.bitmap[off / 8 / 64] & (1ull << (off / 8 % 64)))) continue;
      std::uint64_t v;
      std::memcpy(&v, a.arena.data() + off, 8);
      via = {index, off - alloc.offset};
      mark(untagged(v) - a.arena_base);
    }
  }
  return r;
}

// The same set without paths, level by level on every core: each part of a level claims the
// allocations its pointers reach with an atomic bit and lists them for the next level. Which part
// claims an allocation first does not change the set. A pointer's target is a random place in a
// large heap, so the walk waits on memory, and two cores keep twice the misses in flight. With
// `ambiguous_starts` false, an address that is both the end of one allocation and the start of
// the next reaches nothing, except a root's object, which starts there.
Reachability walk_parallel(const Dump& a, const Classification& c, const std::vector<std::uint64_t>& extra,
                           bool ambiguous_starts) {
  const auto& allocs = a.allocs;
  const AllocIndex holding(allocs, a.arena.size());
  std::vector<std::atomic<std::uint64_t>> bits((allocs.size() + 63) / 64);
  for (auto& w : bits) w.store(0, std::memory_order_relaxed);
  // Whether a pointer to arena offset t reaches allocation i (at or before t), and claims it. A
  // pointer to an allocation's first byte (most are) needs no record read to tell.
  auto claim = [&](std::uint64_t t, std::size_t i, bool root, std::vector<std::size_t>& next) {
    if (!holding.starts_at(t) || !ambiguous_starts) {
      if (t > alloc_end(allocs[i])) return;
      if (!ambiguous_starts && !root && t == allocs[i].offset && i > 0 && allocs[i - 1].offset + allocs[i - 1].size == t)
        return;
    }
    const std::uint64_t bit = 1ull << (i % 64);
    if (bits[i / 64].load(std::memory_order_relaxed) & bit) return;
    if (!(bits[i / 64].fetch_or(bit, std::memory_order_relaxed) & bit)) next.push_back(i);
  };
  std::vector<std::size_t> level;
  for (const Root& r : a.roots)
    if (std::size_t i = holding.at_or_before(r.object_offset); i != AllocIndex::kNone) claim(r.object_offset, i, true, level);
  for (std::uint64_t t : extra)
    if (std::size_t i = holding.at_or_before(t); i != AllocIndex::kNone) claim(t, i, false, level);
  std::vector<std::vector<std::size_t>> found(parallel_parts());
  while (!level.empty()) {
    for (auto& f : found) f.clear();
    parallel_for(level.size(), [&](std::size_t begin, std::size_t end_index, std::size_t p) {
      std::vector<std::size_t>& next = found[p];
      constexpr std::size_t kAhead = 16;
      for (std::size_t k = begin; k < end_index; ++k) {
        if (k + 2 * kAhead < end_index) __builtin_prefetch(&allocs[level[k + 2 * kAhead]]);
        if (k + kAhead < end_index) {
          std::uint64_t ahead = allocs[level[k + kAhead]].offset;
          __builtin_prefetch(a.arena.data() + ahead);
          __builtin_prefetch(&c.bitmap[ahead / 8 / 64]);
        }
        const auto& alloc = allocs[level[k]];
        std::uint64_t end = std::min<std::uint64_t>(alloc.offset + alloc.size, a.arena.size());
        for (std::uint64_t off = alloc.offset & ~7ull; off < end && off + 8 <= a.arena.size(); off += 8) {
          if (!(c.bitmap[off / 8 / 64] & (1ull << (off / 8 % 64)))) continue;
          std::uint64_t v;
          std::memcpy(&v, a.arena.data() + off, 8);
          const std::uint64_t t = untagged(v) - a.arena_base;
          if (std::size_t i = holding.at_or_before(t); i != AllocIndex::kNone) claim(t, i, false, next);
        }
      }
    });
    level.clear();
    for (const auto& f : found) level.insert(level.end(), f.begin(), f.end());
  }
  Reachability r;
  r.reached.assign(allocs.size(), false);
  for (std::size_t i = 0; i < allocs.size(); ++i)
    if (bits[i / 64].load(std::memory_order_relaxed) & (1ull << (i % 64))) r.reached[i] = true;
  return r;
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
    std::uint64_t end = std::min<std::uint64_t>(alloc.offset + alloc.size, a.arena.size());
    for (std::uint64_t off = alloc.offset & ~7ull; off < end && off + 8 <= a.arena.size(); off += 8) {
      if (!(c.bitmap[off / 8 / 64] & (1ull << (off / 8 % 64)))) continue;
      std::uint64_t v;
      std::memcpy(&v, a.arena.data() + off, 8);
      if (mark(untagged(v) - a.arena_base)) return true;
    }
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
