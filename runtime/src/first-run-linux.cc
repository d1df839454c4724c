// What a frozen root's first run built, described for the freezer (FirstRun in bake-protocol.h).
// The freezer builds the value again in a fresh process, where main never ran, standard input is
// empty and no argument was given; it makes an image only when its value is this one, so that a
// value built from the program's arguments, its input or state main set is never served to a
// later run.
//
// The first run's allocations and frees were recorded while the initializer ran (track_begin): a
// word that points into a live one, or one past its end, is a pointer to it; a word that points
// into a module's segments is a pointer into that module; anything else is data. Allocations
// were zero-filled as the bake's arena is, so padding holds what the initializer wrote there in
// both processes.
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <algorithm>

#include "fastboot/bake-protocol.h"
#include "fastboot/bits.h"
#include "runtime.h"

namespace fastboot::rt {
namespace {

namespace proto = fastboot::protocol;

struct Block {
  uintptr_t start;
  size_t size;
  size_t order;   // allocation order: where blocks overlap, the later one is the live one
  long object;    // index in the description once reached, else -1
};

struct SegmentRange {
  uintptr_t lo, hi, bias;
  uint32_t module;
};

struct Modules {
  Array<SegmentRange> segments;
  Array<proto::FirstRunModule> modules;
  Array<char> strings;
};

bool collect(const ModuleInfo& m, void* arg) {
  auto& c = *static_cast<Modules*>(arg);
  proto::FirstRunModule d{c.strings.size, m.is_executable ? 1u : 0u};
  const char* name = m.is_executable ? "" : m.name;
  c.strings.append(name, strlen(name) + 1);
  auto* ph = static_cast<const ElfW(Phdr)*>(m.phdrs);
  for (unsigned i = 0; i < m.phnum; ++i)
    if (ph[i].p_type == PT_LOAD)
      c.segments.push({m.bias + ph[i].p_vaddr, m.bias + ph[i].p_vaddr + ph[i].p_memsz, m.bias, uint32_t(c.modules.size)});
  c.modules.push(d);
  return true;
}

// The events in order of address, and at one address in the order they happened: a radix sort,
// 16 bits of the address per pass (three for 48-bit addresses), each pass stable. A comparison
// sort of millions of blocks was a fifth of a large first run. False when out of memory.
bool sort_by_address(const Tracked* t, size_t count, Block* out) {
  struct Key {
    uintptr_t start;
    size_t order;
  };
  auto* keys = static_cast<Key*>(malloc((count ? count : 1) * sizeof(Key)));
  auto* other = static_cast<Key*>(malloc((count ? count : 1) * sizeof(Key)));
  auto* counts = static_cast<size_t*>(malloc(65536 * sizeof(size_t)));
  bool ok = keys && other && counts;
  uintptr_t highest = 0;
  for (size_t i = 0; ok && i < count; ++i) {
    keys[i] = {t[i].address, i};
    highest |= t[i].address;
  }
  for (unsigned shift = 0; ok && shift < 64 && (shift == 0 || highest >> shift); shift += 16) {
    memset(counts, 0, 65536 * sizeof(size_t));
    for (size_t i = 0; i < count; ++i) ++counts[(keys[i].start >> shift) & 0xffff];
    for (size_t d = 0, at = 0; d < 65536; ++d) {
      size_t n = counts[d];
      counts[d] = at;
      at += n;
    }
    for (size_t i = 0; i < count; ++i) other[counts[(keys[i].start >> shift) & 0xffff]++] = keys[i];
    Key* swap = keys;
    keys = other;
    other = swap;
  }
  for (size_t i = 0; ok && i < count; ++i) out[i] = {keys[i].start, t[keys[i].order].size, keys[i].order, -1};
  free(keys);
  free(other);
  free(counts);
  return ok;
}

// Live blocks by start: a block freed since is dropped, and where a freed block's memory was
// given out again, the later allocation is kept and the earlier one dropped. ~0 when out of
// memory.
size_t live_blocks(const Tracked* t, size_t count, Block* out) {
  if (!sort_by_address(t, count, out)) return ~size_t(0);
  size_t kept = 0;
  for (size_t i = 0; i < count; ++i) {
    // Only the last event at a start counts: an allocation, or a free.
    if (i + 1 < count && out[i + 1].start == out[i].start) continue;
    if (out[i].size == kTrackedFree) continue;
    if (out[i].size == 0) out[i].size = 1;
    bool drop = false;
    while (kept > 0 && out[kept - 1].start + out[kept - 1].size > out[i].start) {
      if (out[kept - 1].order > out[i].order) {
        drop = true;
        break;
      }
      --kept;
    }
    if (!drop) out[kept++] = out[i];
  }
  return kept;
}

// Finds the block that a word points into, or one past the end of, among the live blocks
// (sorted, not overlapping). Most words are data, and their values lie outside the heap; the rest
// are looked up in a bit per 8 bytes of each stretch of heap (blocks closer than 1 MiB), set where
// a block starts, with the count of blocks before every 64 bits: the block is found by counting
// bits, one read of the bits and one of the block. (A search among the blocks starting in the same
// 4 KiB, a cache miss per step, was most of a first run's description of a small-object heap.)
// Every allocator returns at least 8-aligned memory; a block that is not leaves the index unusable
// (ok() false, why_not() says why), and the value is not frozen.
class BlockIndex {
 public:
  BlockIndex(Block* blocks, size_t count) : blocks_(blocks) {
    if (count > UINT32_MAX) {
      why_ = "it made more than 2^32 allocations";
      return;
    }
    for (size_t i = 0; i < count;) {
      size_t j = i + 1;
      uintptr_t end = blocks[i].start + blocks[i].size;
      while (j < count && blocks[j].start - end <= kGap) end = blocks[j].start + blocks[j].size, ++j;
      Span span{blocks[i].start, end, bits_.size};
      // A bit per 8 bytes up to `end` included (a pointer one past the last block).
      const size_t words = ((end - span.lo) >> 3) / 64 + 1;
      if (!bits_.reserve(bits_.size + words) || !before_.reserve(before_.size + words)) return;
      for (size_t w = 0; w < words; ++w) bits_.push(0), before_.push(0);
      for (size_t b = i; b < j; ++b) {
        if (blocks[b].start & 7) {
          why_ = "its allocator returned memory that is not 8-byte aligned";
          return;
        }
        const size_t g = (blocks[b].start - span.lo) >> 3;
        bits_.data[span.table + g / 64] |= uint64_t(1) << (g % 64);
      }
      for (size_t w = 0, before = i; w < words; ++w) {
        before_.data[span.table + w] = uint32_t(before);
        before += size_t(bits_set(bits_.data[span.table + w]));
      }
      spans_.push(span);
      i = j;
    }
  }
  bool ok() const { return bits_.ok && before_.ok && spans_.ok && !why_; }
  const char* why_not() const { return why_ ? why_ : "out of memory"; }

  Block* find(uintptr_t v) const {
    if (spans_.size == 0 || v < spans_.data[0].lo || v > spans_.data[spans_.size - 1].end) return nullptr;
    size_t lo = 0, hi = spans_.size;  // the last span starting at or before v
    while (hi - lo > 1) {
      size_t mid = (lo + hi) / 2;
      if (spans_.data[mid].lo <= v) lo = mid;
      else hi = mid;
    }
    const Span& s = spans_.data[lo];
    if (v > s.end) return nullptr;
    // The last block starting at or before v: blocks start on 8 bytes, so one that starts in v's
    // 8 bytes starts at or before v. The span's first block starts at s.lo: there is one.
    const size_t g = (v - s.lo) >> 3, w = s.table + g / 64;
    const size_t at_or_before = before_.data[w] + size_t(bits_set(bits_.data[w] & (~uint64_t(0) >> (63 - g % 64))));
    Block* b = &blocks_[at_or_before - 1];
    return v - b->start <= b->size ? b : nullptr;
  }

 private:
  static constexpr uintptr_t kGap = uintptr_t(1) << 20;
  struct Span {
    uintptr_t lo, end;  // its first block's start; one past the last block's end
    size_t table;       // its words in bits_ and before_
  };
  Block* blocks_;
  const char* why_ = nullptr;
  Array<Span> spans_;
  Array<uint64_t> bits_;     // a bit per 8 bytes of each span where a block starts
  Array<uint32_t> before_;   // per word of bits_: the index of the first block it counts
};

// Unsigned LEB128.
void put_number(Array<unsigned char>& out, uint64_t v) {
  unsigned char bytes[10];
  unsigned n = 0;
  do {
    bytes[n++] = static_cast<unsigned char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while (v);
  out.append(bytes, n);
}

}  // namespace

bool write_first_run(int dir, const char* name, const detail::root_base& r, const void* value, const Tracked* tracked,
                     size_t count, const char** why) {
  if (!tracked) return *why = "its allocations could not all be recorded", false;
  auto* blocks = static_cast<Block*>(malloc((count ? count : 1) * sizeof(Block)));
  if (!blocks) return *why = "out of memory", false;
  size_t n = live_blocks(tracked, count, blocks);
  if (n == ~size_t(0)) return free(blocks), *why = "out of memory", false;
  Modules mods;
  for_each_module(collect, &mods);

  // Where this process has addresses: its modules, the heap the initializer allocated from (every
  // block it had, freed ones too, and one past the last: a dangling pointer lies in it), this
  // thread's stack.
  Array<proto::AddressRange> ranges;
  for (size_t s = 0; s < mods.segments.size; ++s) ranges.push({mods.segments.data[s].lo, mods.segments.data[s].hi, 0});
  uintptr_t heap_lo = ~uintptr_t(0), heap_hi = 0;
  for (size_t i = 0; i < count; ++i)
    if (tracked[i].size != kTrackedFree) {
      heap_lo = std::min(heap_lo, tracked[i].address);
      heap_hi = std::max(heap_hi, tracked[i].address + tracked[i].size + 1);
    }
  if (heap_lo < heap_hi) ranges.push({heap_lo, heap_hi, proto::kHeapRange});
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* base = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &base, &size) == 0)
      ranges.push({reinterpret_cast<uintptr_t>(base), reinterpret_cast<uintptr_t>(base) + size, proto::kStackRange});
    pthread_attr_destroy(&attr);
  }
  Array<proto::FirstRunObject> objects;
  Array<unsigned char> pointers;
  Array<Block*> queue;
  BlockIndex index(blocks, n);
  uint64_t bytes_size = 0;
  auto reach = [&](Block* b) -> long {
    if (b->object < 0) {
      b->object = long(queue.size);
      queue.push(b);
    }
    return b->object;
  };
  bool ok = index.ok();
  if (!ok) *why = index.why_not();
  Block* root = ok ? index.find(reinterpret_cast<uintptr_t>(value)) : nullptr;
  if (ok && (!root || root->start != reinterpret_cast<uintptr_t>(value))) {
    *why = "the root's own object was not among its allocations";
    ok = false;
  } else if (ok) {
    root->size = r.size;
    reach(root);
  }
  // One object's pointers, before they are written out with their count.
  struct Found {
    uint64_t word, target, offset, tag;
  };
  Array<Found> found;
  for (size_t next = 0; ok && next < queue.size; ++next) {
    Block* b = queue.data[next];
    const auto* bytes = reinterpret_cast<const unsigned char*>(b->start);
    found.size = 0;
    for (size_t w = 0; w < b->size / 8; ++w) {
      uint64_t v;
      memcpy(&v, bytes + w * 8, 8);
      uint64_t tag = v >> 48, address = v & ((uint64_t(1) << 48) - 1);
      if (address < 4096) continue;
      if (Block* to = index.find(address)) {
        found.push({w, uint64_t(reach(to)) * 2, address - to->start, tag});
        continue;
      }
      for (size_t s = 0; s < mods.segments.size; ++s) {
        const SegmentRange& seg = mods.segments.data[s];
        if (address >= seg.lo && address < seg.hi) {
          found.push({w, uint64_t(seg.module) * 2 + 1, address - seg.bias, tag});
          break;
        }
      }
    }
    objects.push({b->size, pointers.size});
    put_number(pointers, found.size);
    for (size_t i = 0, previous = 0; i < found.size; previous = found.data[i].word, ++i) {
      const Found& f = found.data[i];
      put_number(pointers, i == 0 ? f.word : f.word - previous);
      put_number(pointers, f.target);
      put_number(pointers, f.offset);
      put_number(pointers, f.tag);
    }
    bytes_size += (b->size + 7) & ~uint64_t(7);
  }
  if (ok && (!objects.ok || !pointers.ok || !queue.ok || !found.ok || !mods.modules.ok || !mods.strings.ok || !ranges.ok))
    ok = false, *why = "out of memory";
  if (!ok) return free(blocks), false;
  proto::FirstRunHeader h{};
  memcpy(h.magic, proto::kFirstRunMagic, sizeof(h.magic));
  h.module_count = mods.modules.size;
  h.object_count = objects.size;
  h.pointers_size = pointers.size;
  h.range_count = ranges.size;
  h.strings_size = mods.strings.size;
  h.bytes_size = bytes_size;
  // The objects' bytes, each where the table says, written from where they are.
  const uint64_t fixed = sizeof(h) + mods.modules.size * sizeof(proto::FirstRunModule) +
                         objects.size * sizeof(proto::FirstRunObject) + pointers.size +
                         ranges.size * sizeof(proto::AddressRange) + mods.strings.size;
  const uint64_t base = (fixed + 7) & ~uint64_t(7);
  auto* pieces = static_cast<FilePiece*>(malloc((6 + queue.size) * sizeof(FilePiece)));
  if (!pieces) return free(blocks), *why = "out of memory", false;
  uint64_t at = sizeof(h);
  unsigned used = 0;
  pieces[used++] = {&h, sizeof(h), 0};
  auto add = [&](const void* data, uint64_t size) {
    pieces[used++] = {data, size, at};
    at += size;
  };
  add(mods.modules.data, mods.modules.size * sizeof(proto::FirstRunModule));
  add(objects.data, objects.size * sizeof(proto::FirstRunObject));
  add(pointers.data, pointers.size);
  add(ranges.data, ranges.size * sizeof(proto::AddressRange));
  add(mods.strings.data, mods.strings.size);
  for (size_t i = 0, offset = 0; i < queue.size; offset += (queue.data[i]->size + 7) & ~size_t(7), ++i)
    pieces[used++] = {reinterpret_cast<const void*>(queue.data[i]->start), queue.data[i]->size, base + offset};
  bool written = write_private_file(dir, name, pieces, used, why);
  free(pieces);
  free(blocks);
  return written;
}

}  // namespace fastboot::rt
