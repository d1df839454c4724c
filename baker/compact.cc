#include "compact.h"

#include "batched.h"
#include "parallel.h"

#include <algorithm>
#include <cstring>

namespace fastboot::baker {

CompactionStats compact(Context& ctx, Dump& a, Classification& c, std::vector<GlobalRestore>& globals,
                        const Reachability& reach, const HeapMatch* match) {
  Timer timer(ctx, "compact");
  CompactionStats stats;
  stats.arena_before = a.arena.size();
  const auto& allocs = a.allocs;

  // New offsets: the kept allocations in their old order, each at its own alignment and at the
  // same offset modulo kKeepLowBits as before. A word that differed between the runs by exactly
  // the arena shift is taken for an arena pointer, but its low byte may be a real member (a bool
  // written over a leftover pointer in a stack temporary, as in std::regex's states): the shift
  // is a multiple of 4096 and cannot tell. Moving its target by a multiple of 256 leaves that
  // byte as it was; the cost is at most 255 bytes per run of dropped allocations.
  //
  // When the runs' threads allocated in different orders (match), the allocations whose offsets
  // agree modulo 256 in both runs go first, in run A's order, each at its old offset modulo 256
  // as above; the others follow in the order the match reached them, at their alignment only (a
  // word like that cannot have passed for a pointer into them: its two runs' values would have
  // pointed at different places in them).
  constexpr std::uint64_t kKeepLowBits = 256;
  // The kept allocations in their new order: listed only when the runs' heaps were matched;
  // otherwise it is their old order, and a list of millions of indexes costs more to build than
  // a second look at `reached` (its fresh pages alone).
  std::vector<std::size_t> order;
  if (match) {
    std::vector<bool> listed(allocs.size(), false);
    for (std::size_t i = 0; i < allocs.size(); ++i)
      if (reach.reached[i] && match->keep_low_bits[i]) order.push_back(i), listed[i] = true;
    for (std::size_t i : match->order)
      if (reach.reached[i] && !listed[i]) order.push_back(i), listed[i] = true;
    for (std::size_t i = 0; i < allocs.size(); ++i)
      if (reach.reached[i] && !listed[i]) order.push_back(i), listed[i] = true;
  }
  // Glued allocations (match.h) follow each other, wherever the first one goes.
  if (match && !match->glued.empty()) {
    std::vector<std::size_t> after(allocs.size(), ~std::size_t(0));
    std::vector<bool> follows(allocs.size(), false);
    for (auto [x, y] : match->glued)
      if (reach.reached[x] && reach.reached[y] && !match->keep_low_bits[x] && !match->keep_low_bits[y] &&
          after[x] == ~std::size_t(0) && !follows[y])
        after[x] = y, follows[y] = true;
    std::vector<std::size_t> glued_order;
    for (std::size_t i : order) {
      if (follows[i]) continue;
      for (std::size_t k = i, steps = 0; k != ~std::size_t(0) && steps <= allocs.size(); k = after[k], ++steps)
        glued_order.push_back(k);
    }
    if (glued_order.size() == order.size()) order = std::move(glued_order);
  }
  auto for_each_kept = [&](auto fn) {
    if (match) {
      for (std::size_t i : order) fn(i);
    } else {
      for (std::size_t i = 0; i < allocs.size(); ++i)
        if (reach.reached[i]) fn(i);
    }
  };
  std::vector<std::uint64_t> moved(allocs.size(), ~0ull);
  std::uint64_t cursor = 0;
  std::size_t kept_allocations = 0;
  // An address-stable bake keeps every allocation where run A made it: a table hashed by its
  // objects' addresses is valid only there. What was dropped becomes zeros.
  const bool stay = ctx.opts.address_stable && !match;
  for_each_kept([&](std::size_t i) {
    ++kept_allocations;
    if (stay) {
      moved[i] = allocs[i].offset;
      cursor = allocs[i].offset + std::max<std::uint64_t>(allocs[i].size, 1);
      stats.live_bytes += allocs[i].size;
      return;
    }
    std::uint64_t align = std::max<std::uint64_t>(16, protocol::alloc_alignment(allocs[i].flags));
    bool keep = !match || match->keep_low_bits[i];
    if (align >= kKeepLowBits || !keep) cursor = (cursor + align - 1) / align * align;
    else cursor += (allocs[i].offset - cursor) % kKeepLowBits;  // unsigned: right modulo 256 either way
    moved[i] = cursor;
    cursor += std::max<std::uint64_t>(allocs[i].size, 1);
    stats.live_bytes += allocs[i].size;
  });
  stats.dropped_allocations = allocs.size() - kept_allocations;
  // Allocations move as whole words: a word that starts inside one and ends past its size (in
  // the granule's slack) was classified with it, and moves with it; a module pointer's target is
  // read from its word (module_target). Each allocation starts on 16 bytes, so its last word ends
  // before the next one starts, and the new arena ends on a whole word.
  const std::uint64_t new_size = (cursor + 7) & ~std::uint64_t(7), old_size = a.arena.size();
  auto words_of = [&](std::size_t i) {
    return std::min<std::uint64_t>((allocs[i].size + 7) & ~std::uint64_t(7), old_size - allocs[i].offset);
  };

  // Where an old arena offset goes: into the allocation holding it (or ending at it).
  AllocIndex index(allocs, a.arena.size());
  auto remap = [&](std::uint64_t t) -> std::uint64_t {
    std::size_t i = index.at_or_before(t);
    if (i == AllocIndex::kNone) return ~0ull;
    auto it = allocs.begin() + std::ptrdiff_t(i);
    if (moved[i] == ~0ull || t > alloc_end(*it)) return ~0ull;
    return moved[i] + (t - it->offset);
  };

  // Copy the kept allocations and move their arena pointers: a parallel loop, each part with
  // the bitmap words of its own (new) offset range, merged in order. In their old order (no
  // match), every allocation moves down or stays: the pointers are rewritten where they are,
  // then the allocations slid down one after another, and no second arena is needed.
  const bool in_place = !match;
  Bytes arena(in_place ? 0 : new_size);
  struct Part {
    std::uint64_t first_word = 0;
    std::vector<std::uint64_t> bits;
    std::uint64_t pointers = 0, dangling = 0, first_dangling = 0;
  };
  std::vector<Part> parts(parallel_parts());
  ctx.work(allocs.size());
  parallel_for(allocs.size(), [&](std::size_t begin, std::size_t end, std::size_t p) {
    Part& part = parts[p];
    std::uint64_t lo = ~0ull, hi = 0;
    for (std::size_t i = begin; i < end; ++i)
      if (moved[i] != ~0ull) {
        lo = std::min(lo, moved[i]);
        hi = std::max(hi, moved[i] + allocs[i].size);
      }
    if (lo == ~0ull) return;
    part.first_word = lo / 8 / 64;
    part.bits.assign(hi / 8 / 64 - part.first_word + 1, 0);
    // A pointer's target is a random place in a large heap: the words of several allocations
    // are collected first, the records of their targets fetched meanwhile, then moved together.
    struct Word {
      std::uint64_t from, to, value;  // old and new arena offsets of the word, its value
      std::size_t target;             // the allocation at or before its target, or kNone
      bool at_start;                  // the target is that allocation's first byte
    };
    auto move_word = [&](const Word& w) {
      const std::uint64_t t = untagged(w.value) - a.arena_base;
      std::uint64_t target = ~0ull;
      if (w.at_start && moved[w.target] != ~0ull)  // most pointers: no record to read
        target = moved[w.target];
      else if (w.target != AllocIndex::kNone && moved[w.target] != ~0ull && t <= alloc_end(allocs[w.target]))
        target = moved[w.target] + (t - allocs[w.target].offset);
      if (match && std::binary_search(match->end_words.begin(), match->end_words.end(), w.from)) {
        std::size_t e = index.at_or_before(t - 1);  // the allocation ending there
        if (e != AllocIndex::kNone && moved[e] != ~0ull) target = moved[e] + allocs[e].size;
      }
      if (target == ~0ull) {
        if (!part.dangling++) part.first_dangling = w.from;
        return;
      }
      std::uint64_t value = tag_of(w.value) | (a.arena_base + target);
      std::memcpy(in_place ? a.arena.data() + w.from : arena.data() + w.to, &value, 8);
      part.bits[w.to / 8 / 64 - part.first_word] |= 1ull << (w.to / 8 % 64);
      ++part.pointers;
    };
    Batched<Word, 64, decltype(move_word)> words(move_word);
    for (std::size_t i = begin; i < end; ++i) {
      if (i % 16384 == 16383) ctx.advance(16384);
      if (moved[i] == ~0ull) continue;
      const auto& alloc = allocs[i];
      const std::uint64_t n = words_of(i);
      if (!in_place) std::memcpy(arena.data() + moved[i], a.arena.data() + alloc.offset, n);
      // Allocations start 16-aligned, so their words keep their 8-alignment when moved.
      for (std::uint64_t off = alloc.offset; off + 8 <= alloc.offset + n; off += 8) {
        if (!(c.bitmap[off / 8 / 64] & (1ull << (off / 8 % 64)))) continue;
        std::uint64_t v;
        std::memcpy(&v, a.arena.data() + off, 8);
        const std::uint64_t t = untagged(v) - a.arena_base;
        std::size_t target = index.at_or_before(t);
        const bool at_start = target != AllocIndex::kNone && index.starts_at(t);
        if (target != AllocIndex::kNone) {
          if (!at_start) __builtin_prefetch(&allocs[target]);
          __builtin_prefetch(&moved[target]);
        }
        words.add({off, moved[i] + (off - alloc.offset), v, target, at_start});
      }
    }
    words.flush();
  });
  if (in_place) {
    if (new_size > old_size) a.arena.resize(new_size);  // an arena that ended inside a word
    std::uint8_t* bytes = a.arena.data();
    std::uint64_t filled = 0;  // new offsets below this hold what they should
    for (std::size_t i = 0; i < allocs.size(); ++i) {
      if (moved[i] == ~0ull) continue;
      const std::uint64_t n = words_of(i);
      std::memset(bytes + filled, 0, moved[i] - filled);  // what lay between kept allocations
      std::memmove(bytes + moved[i], bytes + allocs[i].offset, n);
      filled = moved[i] + n;
    }
    std::memset(bytes + filled, 0, new_size - filled);
    a.arena.resize(new_size);
    a.arena.shrink_to_fit();
  }
  std::vector<std::uint64_t> bitmap((new_size / 8 + 63) / 64, 0);
  std::uint64_t arena_pointers = 0;
  for (const Part& part : parts) {
    for (std::size_t w = 0; w < part.bits.size() && part.first_word + w < bitmap.size(); ++w)
      bitmap[part.first_word + w] |= part.bits[w];
    arena_pointers += part.pointers;
    if (part.dangling)
      error(ctx) << "internal: " << part.dangling << " reachable pointer(s), the first at arena offset "
                 << fmt::format("{:#x}", part.first_dangling) << ", target memory compaction dropped";
  }

  // The kept module pointers, in place, in their order.
  std::size_t kept_pointers = 0;
  for (const ModulePointer& p : c.module_pointers) {
    std::uint64_t to = remap(p.arena_offset);
    if (to != ~0ull) c.module_pointers[kept_pointers++] = {to, p.module};
  }
  c.module_pointers.resize(kept_pointers);
  for (Root& r : a.roots) r.object_offset = remap(r.object_offset);
  for (GlobalRestore& g : globals)
    if (g.kind == GlobalRestore::arena) g.arena_offset = remap(g.arena_offset);

  // The kept records, in place (each one moves to an index at or before its own).
  std::size_t kept = 0;
  for (std::size_t i = 0; i < a.allocs.size(); ++i)
    if (moved[i] != ~0ull) {
      protocol::DumpAlloc k = a.allocs[i];
      k.offset = moved[i];
      a.allocs[kept++] = k;
    }
  a.allocs.resize(kept);
  a.allocs.shrink_to_fit();
  if (match) std::sort(a.allocs.begin(), a.allocs.end(), [](const auto& x, const auto& y) { return x.offset < y.offset; });
  if (!in_place) a.arena = std::move(arena);
  c.bitmap = std::move(bitmap);
  c.arena_pointers = arena_pointers;
  stats.arena_after = new_size;
  return stats;
}

}  // namespace fastboot::baker
