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

// Live blocks by start: a block freed since is dropped, and where a freed block's memory was
// given out again, the later allocation is kept and the earlier one dropped.
size_t live_blocks(const Tracked* t, size_t count, Block* out) {
  for (size_t i = 0; i < count; ++i) out[i] = {t[i].address, t[i].size, i, -1};
  std::sort(out, out + count, [](const Block& a, const Block& b) { return a.start < b.start || (a.start == b.start && a.order < b.order); });
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

// The block that a word points into or one past the end of, or null.
Block* block_of(Block* blocks, size_t count, uintptr_t v) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (blocks[mid].start <= v) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return nullptr;
  Block* b = &blocks[lo - 1];
  return v - b->start <= b->size ? b : nullptr;
}

}  // namespace

bool write_first_run(int dir, const char* name, const detail::root_base& r, const void* value, const Tracked* tracked,
                     size_t count, const char** why) {
  if (!tracked) return *why = "its allocations could not all be recorded", false;
  auto* blocks = static_cast<Block*>(malloc((count ? count : 1) * sizeof(Block)));
  if (!blocks) return *why = "out of memory", false;
  size_t n = live_blocks(tracked, count, blocks);
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
  Array<proto::FirstRunPointer> pointers;
  Array<Block*> queue;
  uint64_t bytes_size = 0;
  auto reach = [&](Block* b) -> long {
    if (b->object < 0) {
      b->object = long(queue.size);
      queue.push(b);
    }
    return b->object;
  };
  bool ok = true;
  Block* root = block_of(blocks, n, reinterpret_cast<uintptr_t>(value));
  if (!root || root->start != reinterpret_cast<uintptr_t>(value)) {
    *why = "the root's own object was not among its allocations";
    ok = false;
  } else {
    root->size = r.size;
    reach(root);
  }
  for (size_t next = 0; ok && next < queue.size; ++next) {
    Block* b = queue.data[next];
    const auto* bytes = reinterpret_cast<const unsigned char*>(b->start);
    size_t first = pointers.size;
    for (size_t w = 0; w < b->size / 8; ++w) {
      uint64_t v;
      memcpy(&v, bytes + w * 8, 8);
      uint64_t tag = v & ~((uint64_t(1) << 48) - 1), address = v & ((uint64_t(1) << 48) - 1);
      if (address < 4096) continue;
      if (Block* to = block_of(blocks, n, address)) {
        pointers.push({uint32_t(w), uint32_t(reach(to)), address - to->start, tag});
        continue;
      }
      for (size_t s = 0; s < mods.segments.size; ++s) {
        const SegmentRange& seg = mods.segments.data[s];
        if (address >= seg.lo && address < seg.hi) {
          pointers.push({uint32_t(w), proto::kFirstRunToModule | seg.module, address - seg.bias, tag});
          break;
        }
      }
    }
    objects.push({b->size, bytes_size, first, pointers.size - first});
    bytes_size += (b->size + 7) & ~uint64_t(7);
    if (queue.size >= proto::kFirstRunToModule) ok = false, *why = "it has too many objects";
  }
  if (ok && (!objects.ok || !pointers.ok || !queue.ok || !mods.modules.ok || !mods.strings.ok || !ranges.ok))
    ok = false, *why = "out of memory";
  if (!ok) return free(blocks), false;
  proto::FirstRunHeader h{};
  memcpy(h.magic, proto::kFirstRunMagic, sizeof(h.magic));
  h.module_count = mods.modules.size;
  h.object_count = objects.size;
  h.pointer_count = pointers.size;
  h.range_count = ranges.size;
  h.strings_size = mods.strings.size;
  h.bytes_size = bytes_size;
  // The objects' bytes, each where the table says, written from where they are.
  const uint64_t fixed = sizeof(h) + mods.modules.size * sizeof(proto::FirstRunModule) +
                         objects.size * sizeof(proto::FirstRunObject) + pointers.size * sizeof(proto::FirstRunPointer) +
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
  add(pointers.data, pointers.size * sizeof(proto::FirstRunPointer));
  add(ranges.data, ranges.size * sizeof(proto::AddressRange));
  add(mods.strings.data, mods.strings.size);
  for (size_t i = 0; i < queue.size; ++i)
    pieces[used++] = {reinterpret_cast<const void*>(queue.data[i]->start), queue.data[i]->size,
                      base + objects.data[i].bytes_offset};
  bool written = write_private_file(dir, name, pieces, used, why);
  free(pieces);
  free(blocks);
  return written;
}

}  // namespace fastboot::rt
