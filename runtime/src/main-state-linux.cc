// What main changed before a frozen root's first access. A frozen root's image is made by the
// freezer in a fresh process, where main never ran; the freezer checks that its value is the one
// the first run built (first-run-linux.cc), and the image records the state main had set then,
// as a hash of the words of the program's writable data that differ from what static
// initialization left. A later run maps the image only when main set the same state: a
// program run without an argument freezes the value it builds without one, and a run that
// sets a global from its arguments builds its own.
//
// What a root's first access changes (an initializer filling a library's cache, an image's
// globals restored) is not main's doing: it is taken into the copy when the access ends, so a
// later frozen root's image does not depend on whether an earlier root was built or mapped.
//
// Watched: the executable and every library except the C and C++ runtimes (whose state main
// changes by printing, which no initializer depends on), leaving out the runtime's own state
// (the fastboot_state section) and the roots' objects; and of the C library's state, the locale
// main set.
#include <link.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <atomic>

#include "runtime.h"

namespace fastboot::rt {
namespace {

constexpr unsigned kMaxWatched = 64;
constexpr unsigned kMaxModules = 512;
constexpr uint64_t kMaxBytes = uint64_t(64) << 20;

struct Watched {
  uintptr_t start, end, bias;  // [start, end), 8-aligned
  const char* module;          // its file name
  uint64_t* copy;              // as static initialization left it, and roots' first accesses since
  // What the running first access began from: the words where it differed from `copy` (what main
  // had changed, mostly none), as `listed` pairs of index and value, so that a start touches none
  // of these pages; or, when they do not fit, every word (listed == kAll).
  uint64_t* at_access;
  size_t listed;
};
constexpr size_t kAll = ~size_t(0);

struct Range {
  uintptr_t lo, hi, bias;
  uint32_t module;
};

struct State {
  Watched watched[kMaxWatched];
  Range lazy[kMaxWatched];  // each watched module's PLT slots, which lazy binding fills as main calls
  unsigned lazy_count = 0;
  unsigned count = 0;
  Range ranges[kMaxModules];  // every module's segments, to tell pointers into modules
  unsigned range_count = 0;
  uint64_t bytes = 0;
  bool on = false;
  std::atomic<pthread_t> owner{0};  // the thread whose first access is being recorded
  unsigned depth = 0;               // its nested first accesses
};
FASTBOOT_STATE State state;

const char* base_name(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

// The C and C++ runtimes, the dynamic loader and the sanitizers' runtimes.
bool runtime_library(const char* name) {
  static const char* const kRuntimes[] = {"libc.so",   "libm.so",   "ld-linux",  "libstdc++", "libc++",
                                          "libgcc_s",  "libunwind", "libpthread", "libdl.so", "librt.so",
                                          "libatomic", "linux-vdso", "libasan",  "libtsan",  "libubsan",
                                          "liblsan",   "libclang_rt", "libmvec"};
  const char* base = base_name(name);
  for (const char* r : kRuntimes)
    if (strncmp(base, r, strlen(r)) == 0) return true;
  return false;
}

// The module's PLT slots ([DT_PLTGOT, + 3 + one per DT_PLTRELSZ entry)): the dynamic loader
// fills one the first time its function is called, which says which functions main called.
void note_lazy_slots(const ModuleInfo& m, State& s) {
  auto* ph = static_cast<const ElfW(Phdr)*>(m.phdrs);
  for (unsigned i = 0; i < m.phnum; ++i) {
    if (ph[i].p_type != PT_DYNAMIC) continue;
    uintptr_t got = 0, relsz = 0;
    for (auto* d = reinterpret_cast<const ElfW(Dyn)*>(m.bias + ph[i].p_vaddr); d->d_tag != DT_NULL; ++d) {
      if (d->d_tag == DT_PLTGOT) got = d->d_un.d_ptr;
      if (d->d_tag == DT_PLTRELSZ) relsz = d->d_un.d_val;
    }
    if (!got || s.lazy_count == kMaxWatched) return;
    if (got < m.bias) got += m.bias;  // the loader relocates these entries in place, or not
    s.lazy[s.lazy_count++] = {got, got + 8 * (3 + relsz / sizeof(ElfW(Rela))), 0, 0};
  }
}

// Copies [start, end) of m's writable data (nothing when empty); false when over the limits.
bool watch_range(State& s, const ModuleInfo& m, uintptr_t start, uintptr_t end) {
  if (end <= start) return true;
  s.bytes += end - start;
  if (s.count == kMaxWatched || s.bytes > kMaxBytes) return false;
  // Two copies side by side: the state static initialization left, and the state at a first access.
  void* copy = mmap(nullptr, 2 * (end - start), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (copy == MAP_FAILED) return false;
  auto* words = static_cast<uint64_t*>(copy);
  copy_words(words, reinterpret_cast<const uint64_t*>(start), (end - start) / 8);
  s.watched[s.count++] = {start, end, m.bias, m.is_executable ? "program" : base_name(m.name), words, words + (end - start) / 8, 0};
  return true;
}

bool watch_module(const ModuleInfo& m, void* arg) {
  auto& s = *static_cast<State*>(arg);
  auto* ph = static_cast<const ElfW(Phdr)*>(m.phdrs);
  if (m.is_executable || !runtime_library(m.name)) note_lazy_slots(m, s);
  uint32_t index = s.range_count ? s.ranges[s.range_count - 1].module + 1 : 0;
  // The runtime's own state (its tables: hundreds of KiB) is never main's: left out of the
  // copies, a start does not touch its pages.
  uintptr_t own_lo = 0, own_hi = 0;
  runtime_state_range(&own_lo, &own_hi);
  own_lo &= ~uintptr_t(7);
  own_hi = (own_hi + 7) & ~uintptr_t(7);
  for (unsigned i = 0; i < m.phnum; ++i) {
    if (ph[i].p_type != PT_LOAD) continue;
    if (s.range_count < kMaxModules)
      s.ranges[s.range_count++] = {m.bias + ph[i].p_vaddr, m.bias + ph[i].p_vaddr + ph[i].p_memsz, m.bias, index};
    if (!(ph[i].p_flags & PF_W) || (!m.is_executable && runtime_library(m.name))) continue;
    uintptr_t start = (m.bias + ph[i].p_vaddr + 7) & ~uintptr_t(7);
    uintptr_t end = (m.bias + ph[i].p_vaddr + ph[i].p_memsz) & ~uintptr_t(7);
    if (own_lo < end && own_hi > start) {
      if (!watch_range(s, m, start, own_lo) || !watch_range(s, m, own_hi, end)) return false;
    } else if (!watch_range(s, m, start, end)) {
      return false;
    }
  }
  return true;
}

bool excluded(uintptr_t addr) {
  for (unsigned i = 0; i < state.lazy_count; ++i)
    if (addr >= state.lazy[i].lo && addr < state.lazy[i].hi) return true;
  return runtime_data(addr);
}

uint64_t mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x100000001b3ull;
  return h ^ (h >> 29);
}

}  // namespace

void watch_program_state() {
  if (state.on) return;
  state.on = true;
  for_each_module(watch_module, &state);
  if (state.count == kMaxWatched || state.bytes > kMaxBytes) {
    for (unsigned i = 0; i < state.count; ++i) munmap(state.watched[i].copy, 2 * (state.watched[i].end - state.watched[i].start));
    state.count = 0;
    state.on = false;
  }
}

bool state_access_begin() {
  if (!state.on) return false;
  pthread_t self = pthread_self(), none = 0;
  if (state.owner.load(std::memory_order_acquire) == self) return ++state.depth, true;
  // Another thread's first access is being recorded: this one's changes stay main's, which can
  // only keep an image from being used.
  if (!state.owner.compare_exchange_strong(none, self, std::memory_order_acquire)) return false;
  state.depth = 1;
  for (unsigned i = 0; i < state.count; ++i) {
    Watched& w = state.watched[i];
    const size_t words = (w.end - w.start) / 8;
    w.listed = 0;
    for (size_t k = 0; k < words && w.listed != kAll; ++k) {
      const uint64_t now = word_at(w.start + k * 8);
      if (now == w.copy[k]) continue;
      if (2 * (w.listed + 1) > words) {
        copy_words(w.at_access, reinterpret_cast<const uint64_t*>(w.start), words);
        w.listed = kAll;
      } else {
        w.at_access[2 * w.listed] = k;
        w.at_access[2 * w.listed + 1] = now;
        ++w.listed;
      }
    }
  }
  return true;
}

void state_access_end(bool began) {
  if (!began || --state.depth > 0) return;
  for (unsigned i = 0; i < state.count; ++i) {
    const Watched& w = state.watched[i];
    for (size_t k = 0, next = 0; k < (w.end - w.start) / 8; ++k) {
      uint64_t before = w.copy[k];
      if (w.listed == kAll) before = w.at_access[k];
      else if (next < w.listed && w.at_access[2 * next] == k) before = w.at_access[2 * next + 1], ++next;
      const uint64_t now = word_at(w.start + k * 8);
      if (now != before) w.copy[k] = now;
    }
  }
  state.owner.store(0, std::memory_order_release);
}

bool program_state(uint64_t* hash, uint64_t* words, char* first, size_t first_size) {
  if (!state.on) return false;
  uint64_t h = 0xcbf29ce484222325ull, n = 0;
  snprintf(first, first_size, "none");
  for (unsigned i = 0; i < state.count; ++i) {
    const Watched& w = state.watched[i];
    for (size_t k = 0; k < (w.end - w.start) / 8; ++k) {
      uintptr_t addr = w.start + k * 8;
      uint64_t now = word_at(addr);
      if (now == w.copy[k] || excluded(addr)) continue;
      uint64_t kind = 0, value = now;
      for (unsigned r = 0; r < state.range_count; ++r)
        if (now >= state.ranges[r].lo && now < state.ranges[r].hi) {
          kind = 1 + state.ranges[r].module;
          value = now - state.ranges[r].bias;
          break;
        }
      h = mix(mix(mix(h, i), k), mix(kind, value));
      if (n++ == 0) snprintf(first, first_size, "%s+%#lx", w.module, static_cast<unsigned long>(addr - w.bias));
    }
  }
  // The C locale main chose (setlocale(LC_ALL, "") under the user's LANG): libc's own state,
  // which is not watched, but which an initializer's formatting and character classes follow.
  if (const char* locale = setlocale(LC_ALL, nullptr))
    for (const char* c = locale; *c; ++c) h = mix(h, static_cast<unsigned char>(*c));
  *hash = h;
  *words = n;
  return true;
}

}  // namespace fastboot::rt
