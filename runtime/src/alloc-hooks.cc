// The allocator hooks. The program's malloc family and every operator new/delete land here:
// while a thread is capturing (during a bake) they allocate from the arena, bump allocators at
// a fixed base; otherwise they forward to the next allocator in line (glibc's, or one the user
// preloaded). free() and friends ignore memory of the mapped image, so baked objects can be
// mutated and destroyed like heap objects.
//
// The arena is split into regions: the baking thread's, then one per thread the initializers
// start, numbered in the order they were started. A thread bumps only in its own region, so
// where an object lands depends on what its thread did, not on how the threads interleaved.
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <new>

#include "runtime.h"

namespace fastboot::rt {
namespace {

using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*) noexcept;  // noexcept: lets free's hook end in a tail call
using CallocFn = void* (*)(size_t, size_t);
using ReallocFn = void* (*)(void*, size_t);
using MemalignFn = void* (*)(size_t, size_t);
using UsableFn = size_t (*)(void*);

struct NextAllocator {
  MallocFn malloc;
  FreeFn free;
  CallocFn calloc;
  ReallocFn realloc;
  MemalignFn memalign;
  UsableFn usable_size;
};

// What this thread's allocations do: forward (the hot path), go to the arena (during a bake),
// or come from the bootstrap buffer (while dlsym finds the next allocator). One TLS byte, so
// the hot path tests one thing.
// kWorker: a thread an initializer started; it captures while an initializer runs.
// kTrack: a frozen root's first run; allocations go to the next allocator, zero-filled, and are
// recorded (track_begin). kTrackWorker: a thread it started, which records while it runs.
enum Mode : unsigned char { kForward = 0, kCapture = 1, kResolving = 2, kWorker = 3, kTrack = 4, kTrackWorker = 5 };
thread_local unsigned char mode __attribute__((tls_model("initial-exec")));
thread_local unsigned region_index __attribute__((tls_model("initial-exec")));  // 0: the baking thread
// True while an initializer runs: workers capture only then.
FASTBOOT_STATE std::atomic<bool> window{false};
// After the first thread the initializers start: allocations at offset `skew` modulo 32.
FASTBOOT_STATE std::atomic<bool> skewing{false};
FASTBOOT_STATE size_t skew;
// A gap after every allocation (arena_gaps).
FASTBOOT_STATE bool gaps;
// Stack below every allocation and free cleared (arena_clear_below).
FASTBOOT_STATE bool clear_below;

// What the allocator's own frames leave on the stack: cleared after each allocation (4 KiB below
// the hook's frame) in a frozen root's first run, which allocates with the program's allocator,
// and in the freezer's runs, which allocate in the arena; an initializer that later copies stack
// bytes into its value (a union's unused bytes, padding) then copies the same ones in both.
inline void clear_allocator_frames() { clear_stack_frames(4096); }

// dlsym may allocate before the next allocator is known: serve that from a static buffer.
alignas(64) FASTBOOT_STATE char bootstrap[16 * 1024];
FASTBOOT_STATE size_t bootstrap_used;

void* bootstrap_alloc(size_t size, size_t align) {
  if (align < 16) align = 16;
  size_t off = (bootstrap_used + align - 1) & ~(align - 1);
  if (off + size > sizeof(bootstrap)) return nullptr;
  bootstrap_used = off + size;
  return bootstrap + off;
}

extern NextAllocator next;

#if FASTBOOT_WRAPPED_ALLOCATOR
extern "C" void* __real_malloc(size_t);
extern "C" void __real_free(void*) noexcept;
extern "C" void* __real_calloc(size_t, size_t);
extern "C" void* __real_realloc(void*, size_t);
extern "C" void* __real_memalign(size_t, size_t);
extern "C" size_t __real_malloc_usable_size(void*);

void resolve_next() {
  next = {__real_malloc, __real_free, __real_calloc, __real_realloc, __real_memalign, __real_malloc_usable_size};
}
#else
extern "C" void* __libc_malloc(size_t);
extern "C" void __libc_free(void*);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);
extern "C" void* __libc_memalign(size_t, size_t);

size_t zero_usable(void*) { return 0; }
void libc_free(void* p) noexcept { __libc_free(p); }

__attribute__((noinline)) void resolve_next() {
  unsigned char saved = mode;
  mode = kResolving;
  NextAllocator n;
  n.malloc = reinterpret_cast<MallocFn>(dlsym(RTLD_NEXT, "malloc"));
  n.free = reinterpret_cast<FreeFn>(dlsym(RTLD_NEXT, "free"));
  n.calloc = reinterpret_cast<CallocFn>(dlsym(RTLD_NEXT, "calloc"));
  n.realloc = reinterpret_cast<ReallocFn>(dlsym(RTLD_NEXT, "realloc"));
  n.memalign = reinterpret_cast<MemalignFn>(dlsym(RTLD_NEXT, "memalign"));
  n.usable_size = reinterpret_cast<UsableFn>(dlsym(RTLD_NEXT, "malloc_usable_size"));
  if (!n.malloc || !n.free || !n.calloc || !n.realloc || !n.memalign) {
    n = {__libc_malloc, libc_free, __libc_calloc, __libc_realloc, __libc_memalign, nullptr};
  }
  if (!n.usable_size) n.usable_size = zero_usable;
  next = n;
  mode = saved;
}
#endif

// The next allocator starts as trampolines that find it on first use, so the hot path needs no
// "resolved yet?" test. While resolving, dlsym's own allocations come from the bootstrap
// buffer and its frees are dropped.
void* first_malloc(size_t n) {
  if (mode == kResolving) return bootstrap_alloc(n, 16);
  resolve_next();
  return next.malloc(n);
}
void first_free(void* p) noexcept {
  if (mode == kResolving) return;
  resolve_next();
  next.free(p);
}
void* first_calloc(size_t n, size_t size) {
  if (mode == kResolving) return bootstrap_alloc(n * size, 16);
  resolve_next();
  return next.calloc(n, size);
}
void* first_realloc(void* p, size_t n) {
  resolve_next();
  return next.realloc(p, n);
}
void* first_memalign(size_t align, size_t n) {
  if (mode == kResolving) return bootstrap_alloc(n, align);
  resolve_next();
  return next.memalign(align, n);
}
size_t first_usable(void* p) {
  if (mode == kResolving) return 0;
  resolve_next();
  return next.usable_size(p);
}

FASTBOOT_STATE NextAllocator next = {first_malloc, first_free, first_calloc, first_realloc, first_memalign, first_usable};

// --- the arena ----------------------------------------------------------------------------

struct Region {
  size_t used = 0;
  AllocRecord* records = nullptr;  // sorted by offset
  size_t count = 0;
  size_t capacity = 0;  // in records
};

// The allocating calls' addresses, each once, numbered in the order first seen (0: none): an
// allocation names its site by number (DumpAlloc::site). An open-addressing table of mmap'd
// memory (the allocator is the one being recorded), grown at half full; the last site found is
// remembered, as allocations come in runs from one call.
struct Sites {
  uint64_t* slots = nullptr;  // an address, 0 if free
  uint32_t* numbers = nullptr;  // its number, beside it
  size_t mask = 0;
  uint64_t* list = nullptr;  // by number
  size_t count = 0, list_capacity = 0;
  uint64_t last_site = 0;
  uint32_t last_number = 0;
};

struct Arena {
  uintptr_t base = 0;
  size_t reserve = 0;
  int memory = -1;  // the memory file, which holds the arena and the records
  uint32_t root = 0;
  Region regions[kArenaRegions];
  Sites sites;
  std::atomic_flag lock = ATOMIC_FLAG_INIT;  // workers and the baking thread share the records
};
FASTBOOT_STATE Arena arena;

void* map_zeroed(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// The number of `site`, numbering it if new; 0 when out of memory or numbers (the caller holds
// the arena lock).
uint32_t site_number(uint64_t site) {
  Sites& t = arena.sites;
  if (site == t.last_site && t.count) return t.last_number;
  if (t.count == 0) {  // number 0 is no site
    t.list = static_cast<uint64_t*>(map_zeroed(4096 * sizeof(uint64_t)));
    if (!t.list) return 0;
    t.list_capacity = 4096;
    t.count = 1;
  }
  if (site == 0) return 0;
  auto slot_of = [](const Sites& in, uint64_t key) {
    size_t i = size_t((key * 0x9e3779b97f4a7c15ull) >> 20) & in.mask;
    while (in.slots[i] && in.slots[i] != key) i = (i + 1) & in.mask;
    return i;
  };
  if (t.slots) {
    size_t i = slot_of(t, site);
    if (t.slots[i]) return t.last_site = site, t.last_number = t.numbers[i];
  }
  if (t.count >= protocol::kMaxAllocSites) return 0;
  // Room for one more: the table at most half full, the list with a free entry.
  if (!t.slots || 2 * t.count >= t.mask) {
    Sites grown = t;
    grown.mask = t.slots ? 2 * t.mask + 1 : 8191;
    grown.slots = static_cast<uint64_t*>(map_zeroed((grown.mask + 1) * sizeof(uint64_t)));
    grown.numbers = static_cast<uint32_t*>(map_zeroed((grown.mask + 1) * sizeof(uint32_t)));
    if (!grown.slots || !grown.numbers) return 0;
    for (size_t n = 1; n < t.count; ++n) {
      size_t i = slot_of(grown, t.list[n]);
      grown.slots[i] = t.list[n], grown.numbers[i] = uint32_t(n);
    }
    if (t.slots) munmap(t.slots, (t.mask + 1) * sizeof(uint64_t)), munmap(t.numbers, (t.mask + 1) * sizeof(uint32_t));
    t = grown;
  }
  if (t.count == t.list_capacity) {
    void* list = mremap(t.list, t.list_capacity * sizeof(uint64_t), 2 * t.list_capacity * sizeof(uint64_t), MREMAP_MAYMOVE);
    if (list == MAP_FAILED) return 0;
    t.list = static_cast<uint64_t*>(list);
    t.list_capacity *= 2;
  }
  size_t i = slot_of(t, site);
  uint32_t number = uint32_t(t.count++);
  t.slots[i] = site, t.numbers[i] = number, t.list[number] = site;
  return t.last_site = site, t.last_number = number;
}

struct Locked {
  Locked() { arena_lock(true); }
  ~Locked() { arena_lock(false); }
};

// Memory that is not the next allocator's: the arena during a bake, the image after, and the
// bootstrap buffer. Unsigned subtraction makes each range test one compare (null is in none).
// With more than one image (frozen roots' images beside the baked one), [foreign_lo, +span) is
// the span that holds them all, and images[] says which parts of it are theirs.
// Relaxed atomics: frees on any thread read them while an image is added.
FASTBOOT_STATE std::atomic<uintptr_t> foreign_lo{0}, foreign_span{0};
struct ImageRange {
  uintptr_t lo, span;
};
constexpr unsigned kMaxImages = 64;
FASTBOOT_STATE ImageRange images[kMaxImages];
FASTBOOT_STATE std::atomic<unsigned> image_count{0};
FASTBOOT_STATE std::atomic_flag images_lock = ATOMIC_FLAG_INIT;

// The image holding a (foreign_lo <= a < foreign_lo + foreign_span), or null during a bake,
// when the span is the arena.
inline const ImageRange* image_of(uintptr_t a) {
  unsigned n = image_count.load(std::memory_order_acquire);
  if (n == 0) return nullptr;
  for (unsigned i = 0; i < n; ++i)
    if (a - images[i].lo < images[i].span) return &images[i];
  return &images[kMaxImages - 1] + 1;  // in the span, in no image
}

inline bool in_span(uintptr_t a) {
  return a - foreign_lo.load(std::memory_order_relaxed) < foreign_span.load(std::memory_order_relaxed);
}
inline bool in_bootstrap(uintptr_t a) { return a - reinterpret_cast<uintptr_t>(bootstrap) < sizeof(bootstrap); }

inline bool is_foreign(const void* p) {
  auto a = reinterpret_cast<uintptr_t>(p);
  return (in_span(a) && image_of(a) != &images[kMaxImages - 1] + 1) || in_bootstrap(a);
}

inline bool in_arena(const void* p) {
  return reinterpret_cast<uintptr_t>(p) - arena.base < arena.reserve && arena.base != 0;
}

// This thread's allocations go to the arena now.
inline bool capturing() { return mode == kCapture || (mode == kWorker && window.load(std::memory_order_relaxed)); }

// A region's records live in the memory file at records_offset(index): a byte of records per
// byte of region, and an allocation takes at least 16 bytes of its region, so they always have
// room there. Only what they use is mapped; growing the mapping takes the file's next pages.
bool grow_records(Region& r) {
  unsigned index = unsigned(&r - arena.regions);
  size_t most = (arena_region_start(index + 1) - arena_region_start(index)) / sizeof(AllocRecord);
  size_t cap = r.capacity ? r.capacity * 2 : 4096;
  if (cap > most) cap = most;
  if (cap <= r.capacity) return false;
  void* mem;
  if (r.records) {
    mem = mremap(r.records, r.capacity * sizeof(AllocRecord), cap * sizeof(AllocRecord), MREMAP_MAYMOVE);
  } else if (arena.memory >= 0) {
    mem = mmap(nullptr, cap * sizeof(AllocRecord), PROT_READ | PROT_WRITE, MAP_SHARED, arena.memory,
               off_t(records_offset(index)));
  } else {  // a forked child's
    mem = mmap(nullptr, cap * sizeof(AllocRecord), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  if (mem == MAP_FAILED) return false;
  r.records = static_cast<AllocRecord*>(mem);
  r.capacity = cap;
  return true;
}

// The record of the allocation that starts at p (the caller holds the lock).
AllocRecord* find_record(const void* p) {
  uint64_t off = reinterpret_cast<uintptr_t>(p) - arena.base;
  unsigned index = 0;
  uint64_t start = 0;
  arena_region_of(off, &index, &start);
  const Region& r = arena.regions[index];
  size_t lo = 0, hi = r.count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r.records[mid].offset < off) lo = mid + 1;
    else hi = mid;
  }
  if (lo < r.count && r.records[lo].offset == off) return &r.records[lo];
  return nullptr;
}

// Freed arena memory is never reused; it is zeroed so the image does not carry stale bytes.
void arena_free(void* p) {
  if (!capturing()) return;
  Locked guard;
  AllocRecord* r = find_record(p);
  if (!r || (r->flags & 1)) return;
  r->flags |= 1;
  memset(p, 0, r->size);
}

size_t foreign_size(void* p) {
  if (in_arena(p)) {
    Locked guard;
    AllocRecord* r = find_record(p);
    return r ? r->size : 0;
  }
  return 0;
}

// Bytes that may be copied out of foreign memory at p: up to the end of its region.
size_t foreign_extent(void* p) {
  auto a = reinterpret_cast<uintptr_t>(p);
  if (in_arena(p)) return foreign_size(p);
  uintptr_t lo = foreign_lo.load(std::memory_order_relaxed), span = foreign_span.load(std::memory_order_relaxed);
  if (a - lo < span) {
    const ImageRange* r = image_of(a);
    return r && r != &images[kMaxImages - 1] + 1 ? r->lo + r->span - a : lo + span - a;
  }
  return reinterpret_cast<uintptr_t>(bootstrap) + sizeof(bootstrap) - a;
}

// Code whose allocations are never captured: a threading runtime's own bookkeeping (OpenMP's
// teams and pools), which lives as long as its threads and is no part of any root.
struct SiteRange {
  uintptr_t lo, hi;
};
FASTBOOT_STATE SiteRange uncaptured[8];
FASTBOOT_STATE unsigned uncaptured_count;

bool uncaptured_site(const void* site) {
  auto a = reinterpret_cast<uintptr_t>(site);
  for (unsigned i = 0; i < uncaptured_count; ++i)
    if (a - uncaptured[i].lo < uncaptured[i].hi - uncaptured[i].lo) return true;
  return false;
}

// --- tracking: what a frozen root's first run allocates -----------------------------------

struct TrackTable {
  Tracked* items = nullptr;
  size_t count = 0, capacity = 0;
  bool full = false;  // out of memory for records: the run cannot be described
};
FASTBOOT_STATE TrackTable track;
FASTBOOT_STATE std::atomic<bool> tracking{false};  // a thread tracks (one at a time)
FASTBOOT_STATE std::atomic<bool> track_open{false};  // its workers record too
FASTBOOT_STATE std::atomic_flag track_lock = ATOMIC_FLAG_INIT;

inline bool recording() { return mode == kTrack || (mode == kTrackWorker && track_open.load(std::memory_order_relaxed)); }

void track_record(void* p, size_t size) {
  if (!p) return;
  while (track_lock.test_and_set(std::memory_order_acquire)) {
  }
  struct Unlock {
    ~Unlock() { track_lock.clear(std::memory_order_release); }
  } unlock;
  if (track.full || !track_open.load(std::memory_order_relaxed)) return;
  if (track.count == track.capacity) {
    size_t cap = track.capacity ? track.capacity * 2 : 65536;
    void* mem = track.items ? mremap(track.items, track.capacity * sizeof(Tracked), cap * sizeof(Tracked), MREMAP_MAYMOVE)
                            : mmap(nullptr, cap * sizeof(Tracked), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      track.full = true;
      return;
    }
    track.items = static_cast<Tracked*>(mem);
    track.capacity = cap;
  }
  track.items[track.count++] = {reinterpret_cast<uintptr_t>(p), size};
}

// Zero-filled like the bake's fresh arena, so that padding holds only what the initializer wrote.
void* tracked_alloc(size_t size, size_t align) {
  void* p = align <= 16 ? next.malloc(size) : next.memalign(align, size);
  if (!p) return p;
  size_t usable = next.usable_size(p);
  memset(p, 0, usable > size ? usable : size);
  track_record(p, size);
  return p;
}

void* tracked_realloc(void* p, size_t size) {
  size_t old = next.usable_size(p);
  void* q = next.realloc(p, size);
  if (!q) return q;
  size_t now = next.usable_size(q);
  if (old && now > old) memset(static_cast<char*>(q) + old, 0, now - old);
  track_record(p, kTrackedFree);
  track_record(q, size);
  return q;
}

__attribute__((noinline)) void* special_alloc(size_t size, size_t align, void* site) {
  if (recording()) return tracked_alloc(size, align);
  if (mode == kTrackWorker) return align <= 16 ? next.malloc(size) : next.memalign(align, size);
  if (capturing() && !uncaptured_site(site)) return arena_alloc(size, align, 0, site);
  if (mode == kCapture || mode == kWorker) return align <= 16 ? next.malloc(size) : next.memalign(align, size);
  return bootstrap_alloc(size, align);
}

inline void* allocate(size_t size, size_t align, void* site) {
  if (__builtin_expect(mode != kForward, 0)) {
    void* p = special_alloc(size, align, site);
    if (clear_below || mode == kTrack || mode == kTrackWorker) clear_allocator_frames();  // from the hook's frame down
    return p;
  }
  return align <= 16 ? next.malloc(size) : next.memalign(align, size);
}

// A free of memory in the span of the arena or images: out of line, so that every other free
// is two compares and a tail call, with nothing to save around a call.
__attribute__((noinline, cold)) void release_in_span(void* p) {
  if (!is_foreign(p)) return next.free(p);
  if (in_arena(p)) arena_free(p);
}

inline void release(void* p) {
  auto a = reinterpret_cast<uintptr_t>(p);
  if (__builtin_expect(in_span(a), 0)) {
    release_in_span(p);
    if (clear_below) clear_allocator_frames();
    return;
  }
  if (__builtin_expect(in_bootstrap(a), 0)) return;
  if (__builtin_expect(mode >= kTrack, 0) && p && recording()) {
    next.free(p);
    track_record(p, kTrackedFree);
    clear_allocator_frames();
    return;
  }
  next.free(p);
}

void* reallocate(void* p, size_t size, void* site) {
  if (!p) return allocate(size, 16, site);
  if (recording() && !is_foreign(p)) {
    void* q = tracked_realloc(p, size);
    clear_allocator_frames();
    return q;
  }
  if (mode == kTrackWorker && !is_foreign(p)) return next.realloc(p, size);
  if (is_foreign(p) || capturing()) {
    size_t old = is_foreign(p) ? foreign_extent(p) : next.usable_size(p);
    void* q = allocate(size, 16, site);
    if (!q) return nullptr;
    memcpy(q, p, old < size ? old : size);
    release(p);
    return q;
  }
  return next.realloc(p, size);
}

void* new_or_throw(size_t size, size_t align, void* site) {
  for (;;) {
    if (void* p = allocate(size ? size : 1, align, site)) return p;
    std::new_handler h = std::get_new_handler();
    if (!h) throw std::bad_alloc();
    h();
  }
}

}  // namespace

bool track_begin() {
  if (mode != kForward || tracking.exchange(true, std::memory_order_acquire)) return false;
  track.count = 0;
  track.full = false;
  track_open.store(true, std::memory_order_release);
  mode = kTrack;
  return true;
}

const Tracked* track_end(size_t* count) {
  mode = kForward;
  // Workers that outlive the initializer record no more.
  while (track_lock.test_and_set(std::memory_order_acquire)) {
  }
  track_open.store(false, std::memory_order_relaxed);
  track_lock.clear(std::memory_order_release);
  *count = track.count;
  return track.full ? nullptr : track.items;
}

bool track_here() { return recording(); }
void track_join() { mode = kTrackWorker; }
void track_leave() { mode = kForward; }

void track_release() { tracking.store(false, std::memory_order_release); }

// A child forked while the initializers run gets the arena and its records as private memory,
// as fork() gives any heap: the mappings are the memory file's, shared with the baker, and
// what the child writes must not land in the parent's arena.
void privatize_after_fork() {
  if (!arena.base) return;
  char* arena_copy = static_cast<char*>(
      mmap(nullptr, arena_reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  if (arena_copy == MAP_FAILED) _exit(127);
  for (unsigned i = 0; i < kArenaRegions; ++i)
    memcpy(arena_copy + arena_region_start(i), reinterpret_cast<char*>(arena.base) + arena_region_start(i), arena.regions[i].used);
  if (mremap(arena_copy, arena_reserve, arena_reserve, MREMAP_MAYMOVE | MREMAP_FIXED, reinterpret_cast<void*>(arena.base)) == MAP_FAILED)
    _exit(127);
  for (Region& r : arena.regions) {
    if (!r.records) continue;
    size_t bytes = r.capacity * sizeof(AllocRecord);
    void* copy = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy == MAP_FAILED) _exit(127);
    memcpy(copy, r.records, r.count * sizeof(AllocRecord));
    if (mremap(copy, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, r.records) == MAP_FAILED) _exit(127);
  }
  // Its records grow in private memory from here on.
  close(arena.memory);
  arena.memory = -1;
}

FASTBOOT_STATE uint64_t arena_reserve = kArenaReserve;

bool arena_set_reserve(uint64_t bytes) {
  if (bytes < protocol::kMinArenaReserve || bytes > kArenaReserve || (bytes & (bytes - 1))) return false;
  arena_reserve = bytes;
  return true;
}

const char* arena_begin(uintptr_t base, int fd) {
  if (ftruncate(fd, off_t(memory_file_size())) != 0) return "cannot size the memory file";
  void* mem = mmap(reinterpret_cast<void*>(base), arena_reserve, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_NORESERVE | MAP_FIXED_NOREPLACE, fd, 0);
  if (mem == MAP_FAILED) return "cannot map the arena";
  if (mem != reinterpret_cast<void*>(base)) {  // a kernel that took the address as a hint
    munmap(mem, arena_reserve);
    errno = EEXIST;
    return "cannot map the arena";
  }
  arena.base = base;
  arena.reserve = arena_reserve;
  arena.memory = fd;
  foreign_lo.store(base, std::memory_order_relaxed);
  foreign_span.store(arena_reserve, std::memory_order_relaxed);
  pthread_atfork(nullptr, nullptr, privatize_after_fork);
  if (!grow_records(arena.regions[0])) return "cannot map the allocation records";
  return nullptr;
}

void arena_capture(bool on) { mode = on ? kCapture : kForward; }
unsigned char arena_pause() {
  unsigned char old = mode;
  mode = kForward;
  return old;
}
void arena_resume(unsigned char old) { mode = old; }
void arena_skew(size_t residue) { skew = residue; }
void arena_gaps(bool on) { gaps = on; }
void arena_clear_below(bool on) { clear_below = on; }
void arena_threads_started() { skewing.store(true, std::memory_order_relaxed); }
void arena_never_capture(uintptr_t lo, uintptr_t hi) {
  if (uncaptured_count < sizeof(uncaptured) / sizeof(uncaptured[0])) uncaptured[uncaptured_count++] = {lo, hi};
}
void arena_window(bool open) { window.store(open, std::memory_order_release); }
bool arena_window_open() { return window.load(std::memory_order_acquire); }
void arena_join_as_worker(unsigned index) {
  region_index = index;
  mode = kWorker;
}
void arena_leave() { mode = kForward; }
bool auditing() { return capturing(); }

uint32_t arena_set_root(uint32_t root) {
  uint32_t old = arena.root;
  arena.root = root;
  return old;
}

void* arena_alloc(size_t size, size_t align, uint32_t flags, void* site) {
  if (align < 16) align = 16;
  if (align & (align - 1)) return nullptr;
  if (size == 0) size = 1;
  unsigned index = mode == kWorker ? region_index : 0;
  uint64_t start = arena_region_start(index), limit = arena_region_start(index + 1);
  Locked guard;
  Region& r = arena.regions[index];
  size_t off = (start + r.used + align - 1) & ~(align - 1);
  // With gaps (arena_gaps), never right at the end of the allocation before: an address one past
  // the end of an object (a full vector's end) is then never also the start of the next one. The
  // baker asks for them only when such an address pulled an unbakeable block into its reach
  // (libc's per-thread dlerror result, allocated right after a vector): they cost 16 bytes after
  // an allocation whose size is a multiple of 16, in the image too (compaction keeps offsets
  // modulo 256). A worker's region keeps its start free too: the baker puts regions side by side.
  if (gaps && (r.count || index)) off = (start + r.used + 1 + align - 1) & ~(align - 1);
  // Once threads run, where an object lands depends on timing. From then on every allocation
  // sits at a run-specific offset modulo 32 (arena_skew), so no word can pass for a pointer by a
  // run-to-run coincidence of low bits, and never right at the end of the one before, so no
  // address is both an end and a start; the baker may then lay those objects out in an order of
  // its own, the same in every bake (baker/match.cc, compact.cc).
  if (skewing.load(std::memory_order_relaxed) && align < 32)
    off = ((start + r.used + 1 - skew + 31) & ~size_t(31)) + skew;
  if (off + size > limit || off + size < off) {
    // Said once, in the baking process's output the baker shows: the initializer then sees an
    // allocation fail (std::bad_alloc), which alone would not say why.
    static FASTBOOT_STATE bool said;
    if (!said) {
      said = true;
      char text[160];
      snprintf(text, sizeof(text), "%llu MiB, has no room for %zu more bytes",
               static_cast<unsigned long long>((limit - start) >> 20), size);
      say("fastboot: bake: the arena is full: ", index ? "the region of a thread the initializers started, " : "the baking thread's region, ",
          text, arena_reserve < kArenaReserve ? " (a smaller arena, as under an emulator: docs/cross.md)\n" : "\n");
    }
    return nullptr;
  }
  if (r.count == r.capacity && !grow_records(r)) return nullptr;
  const uint32_t number = site_number(reinterpret_cast<uint64_t>(site));
  if (!number && site) return nullptr;  // no room for the site
  flags |= uint32_t(__builtin_ctzll(align)) << protocol::kAllocAlignShift;  // compaction keeps the alignment
  AllocRecord& record = r.records[r.count++];
  record.offset = off, record.size = size, record.site = number, record.root = arena.root, record.flags = flags;
  r.used = off + size - start;
  return reinterpret_cast<void*>(arena.base + off);
}

void arena_state_range(uintptr_t* lo, uintptr_t* hi) {
  *lo = reinterpret_cast<uintptr_t>(&arena);
  *hi = *lo + sizeof(arena);
}

uintptr_t arena_base() { return arena.base; }
const uint64_t* arena_sites(size_t* count) {
  *count = arena.sites.count;
  return arena.sites.list;
}
const AllocRecord* arena_region(unsigned index, size_t* used, size_t* count) {
  const Region& r = arena.regions[index];
  *used = r.used;
  *count = r.count;
  return r.records;
}
void arena_lock(bool on) {
  if (on) {
    while (arena.lock.test_and_set(std::memory_order_acquire)) {
    }
  } else {
    arena.lock.clear(std::memory_order_release);
  }
}

bool add_image_range(uintptr_t lo, uintptr_t hi) {
  while (images_lock.test_and_set(std::memory_order_acquire)) {
  }
  unsigned n = image_count.load(std::memory_order_relaxed);
  bool added = n < kMaxImages;
  if (added) {
    images[n] = {lo, hi - lo};
    // Widen the span after the entry is in place: a pointer in the span is then never in no image.
    image_count.store(n + 1, std::memory_order_release);
    // The span only grows: first its size, then its start, so that at every moment it holds at
    // least the images already in use.
    uintptr_t old_lo = foreign_lo.load(std::memory_order_relaxed), old_hi = old_lo + foreign_span.load(std::memory_order_relaxed);
    uintptr_t new_lo = n == 0 || lo < old_lo ? lo : old_lo;
    uintptr_t new_hi = n == 0 || hi > old_hi ? hi : old_hi;
    if (n == 0) foreign_lo.store(new_lo, std::memory_order_relaxed);
    foreign_span.store(new_hi - new_lo, std::memory_order_release);
    foreign_lo.store(new_lo, std::memory_order_release);
  }
  images_lock.clear(std::memory_order_release);
  return added;
}

}  // namespace fastboot::rt

// --- the hooked entry points --------------------------------------------------------------

using namespace fastboot::rt;
#define SITE __builtin_return_address(0)

// A dynamically linked program interposes the malloc family by defining it. A static program
// cannot (libc.a defines it too): it is linked with --wrap=malloc and friends, and the hooks
// are the __wrap_ functions (this file built with FASTBOOT_WRAPPED_ALLOCATOR).
#if FASTBOOT_WRAPPED_ALLOCATOR
#define HOOK(name) __wrap_##name
#else
#define HOOK(name) name
#endif

extern "C" {

void* HOOK(malloc)(size_t size) {
  void* p = allocate(size, 16, SITE);
  if (!p) errno = ENOMEM;
  return p;
}

void HOOK(free)(void* p) { release(p); }

void* HOOK(calloc)(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  if (mode == kForward) return next.calloc(n, size);
  if (mode == kTrack || mode == kTrackWorker) {
    void* p = next.calloc(n, size);
    if (recording()) track_record(p, total);
    clear_allocator_frames();
    return p;
  }
  // The arena is fresh memory that is never reused (a forked child gets a copy of its own, see
  // privatize_after_fork): already zero. The bootstrap buffer is static: also zero. Anything else
  // comes from the next allocator's calloc.
  if ((capturing() && !uncaptured_site(SITE)) || mode == kResolving) return allocate(total, 16, SITE);
  return next.calloc(n, size);
}

void* HOOK(realloc)(void* p, size_t size) { return reallocate(p, size, SITE); }

void* HOOK(reallocarray)(void* p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return reallocate(p, total, SITE);
}

void* HOOK(memalign)(size_t align, size_t size) { return allocate(size, align, SITE); }

void* HOOK(aligned_alloc)(size_t align, size_t size) { return allocate(size, align, SITE); }

int HOOK(posix_memalign)(void** out, size_t align, size_t size) {
  if (align < sizeof(void*) || (align & (align - 1))) return EINVAL;
  void* p = allocate(size, align, SITE);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

void* HOOK(valloc)(size_t size) { return allocate(size, 4096, SITE); }

void* HOOK(pvalloc)(size_t size) { return allocate((size + 4095) & ~size_t(4095), 4096, SITE); }

size_t HOOK(malloc_usable_size)(void* p) {
  if (!p) return 0;
  if (is_foreign(p)) return foreign_size(p);
  return next.usable_size(p);
}

}  // extern "C"

void* operator new(size_t n) { return new_or_throw(n, 16, SITE); }
void* operator new[](size_t n) { return new_or_throw(n, 16, SITE); }
void* operator new(size_t n, std::align_val_t a) { return new_or_throw(n, size_t(a), SITE); }
void* operator new[](size_t n, std::align_val_t a) { return new_or_throw(n, size_t(a), SITE); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return allocate(n ? n : 1, 16, SITE); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return allocate(n ? n : 1, 16, SITE); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n ? n : 1, size_t(a), SITE);
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n ? n : 1, size_t(a), SITE);
}

void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, size_t) noexcept { release(p); }
void operator delete[](void* p, size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
