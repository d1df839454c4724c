// The baking process. `main` is wrapped (-Wl,--wrap=main): when the baker starts the program
// with FASTBOOT_BAKE_OUTPUT set, static initialization has run, and instead of main we run
// every root's initializer with this thread's allocations captured in the arena, then write a
// dump of the arena, its allocations, the roots and the loaded modules for the baker.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <stdio.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exception>
#include <link.h>

#include "fastboot/bake-protocol.h"
#include "runtime.h"

namespace fastboot::rt {
namespace {

namespace proto = fastboot::protocol;

FASTBOOT_STATE bool active;
FASTBOOT_STATE const char* trace_path;
// The one frozen root this bake builds (the freezer's runs), or null: every root.
FASTBOOT_STATE detail::root_base* only_root;

// The roots this bake builds, in order.
detail::root_base* first_baked() { return only_root ? only_root : first_root(); }
detail::root_base* next_baked(detail::root_base* r) { return only_root ? nullptr : r->next; }

void trace(const char* event, const char* name, const char* detail = nullptr) {
  if (!trace_path) return;
  int fd = open(trace_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  // One write per line, so a crash never leaves half a line.
  char line[4096];
  size_t n = 0;
  auto put = [&](const char* s) {
    while (*s && n < sizeof(line) - 2) line[n++] = *s++;
  };
  put(event);
  put(" ");
  put(name);
  if (detail) {
    put("\t");
    for (const char* s = detail; *s && n < sizeof(line) - 2; ++s) line[n++] = (*s == '\n') ? ' ' : *s;
  }
  line[n++] = '\n';
  ssize_t ignored = write(fd, line, n);
  (void)ignored;
  close(fd);
}

[[noreturn]] void fail(int code, const char* a, const char* b = "", const char* c = "", const char* d = "",
                       const char* e = "", const char* f = "") {
  char message[1024];
  size_t n = 0;
  for (const char* s : {a, b, c, d, e, f})
    while (*s && n < sizeof(message) - 1) message[n++] = *s++;
  message[n] = 0;
  say("fastboot: bake: ", message, "\n");
  trace("error", message);
  _exit(code);
}

// A growable byte buffer on mmap'd memory, so writing the dump never touches malloc.
struct Buffer {
  char* data = nullptr;
  size_t size = 0, cap = 0;
  void append(const void* p, size_t n) {
    if (size + n > cap) {
      size_t c = cap ? cap : 65536;
      while (c < size + n) c *= 2;
      void* m = mmap(nullptr, c, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) fail(proto::kExitSetup, "out of memory writing the dump");
      if (data) {
        memcpy(m, data, size);
        munmap(data, cap);
      }
      data = static_cast<char*>(m);
      cap = c;
    }
    memcpy(data + size, p, n);
    size += n;
  }
  uint64_t add_string(const char* s) {
    uint64_t off = size;
    append(s, strlen(s) + 1);
    return off;
  }
};

void write_all(int fd, const void* p, size_t n) {
  auto* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w <= 0) fail(proto::kExitSetup, "cannot write the dump: ", strerror(errno));
    c += w;
    n -= size_t(w);
  }
}

// Copies of every module's writable segments taken before the initializers run; afterwards
// each changed word is a global the initializers wrote.
struct Snapshot {
  uint64_t module;
  uintptr_t bias, start, end;  // [start, end): 8-aligned
  uint64_t* copy;
};

struct SnapshotSet {
  Buffer items;
  uint64_t module_index = 0;
};

bool snapshot_module(const ModuleInfo& m, void* arg) {
  auto& set = *static_cast<SnapshotSet*>(arg);
  auto* ph = static_cast<const ElfW(Phdr)*>(m.phdrs);
  for (unsigned i = 0; i < m.phnum; ++i) {
    if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_W)) continue;
    uintptr_t start = (m.bias + ph[i].p_vaddr + 7) & ~uintptr_t(7);
    uintptr_t end = (m.bias + ph[i].p_vaddr + ph[i].p_memsz) & ~uintptr_t(7);
    if (end <= start) continue;
    void* copy = mmap(nullptr, end - start, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy == MAP_FAILED) fail(proto::kExitSetup, "out of memory taking a snapshot of globals");
    copy_words(static_cast<uint64_t*>(copy), reinterpret_cast<const uint64_t*>(start), (end - start) / 8);
    Snapshot snap{set.module_index, m.bias, start, end, static_cast<uint64_t*>(copy)};
    set.items.append(&snap, sizeof(snap));
  }
  ++set.module_index;
  return true;
}

// The runtime's own state (the arena's bookkeeping, its FASTBOOT_STATE globals, what it records
// of the statics) and the roots' own objects change during every bake; they are not globals of
// the program.
bool excluded(uintptr_t addr) {
  uintptr_t lo, hi;
  arena_state_range(&lo, &hi);
  return (addr + 8 > lo && addr < hi) || runtime_data(addr);
}

uint64_t collect_changed_globals(const SnapshotSet& set, Buffer* out) {
  uint64_t count = 0;
  auto* snaps = reinterpret_cast<const Snapshot*>(set.items.data);
  for (size_t i = 0; i < set.items.size / sizeof(Snapshot); ++i) {
    const Snapshot& s = snaps[i];
    for (size_t w = 0; w < (s.end - s.start) / 8; ++w) {
      uintptr_t addr = s.start + w * 8;
      uint64_t now = word_at(addr);
      if (now == s.copy[w]) continue;
      if (excluded(addr)) continue;
      proto::DumpGlobal g{s.module, addr - s.bias, s.copy[w], now};
      out->append(&g, sizeof(g));
      ++count;
    }
  }
  return count;
}

// File descriptors open in this process, as a bit set of the first 1024, read without
// allocating (the arena would record it).
struct FdSet {
  uint64_t bits[16] = {};
};

FdSet open_fds() {
  FdSet set;
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return set;
  alignas(8) char buf[4096];
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
    if (n <= 0) break;
    for (long pos = 0; pos < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + pos);
      pos += d->d_reclen;
      if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
      long fd = strtol(d->d_name, nullptr, 10);
      if (fd != dir && fd >= 0 && fd < 1024) set.bits[fd / 64] |= 1ull << (fd % 64);
    }
  }
  close(dir);
  return set;
}

// Reports descriptors an initializer opened and left open: an object that keeps one would hold
// a number that means nothing in the baked program.
void trace_leaked_fds(const char* root, const FdSet& before) {
  FdSet after = open_fds();
  for (int fd = 0; fd < 1024; ++fd) {
    bool was = before.bits[fd / 64] & (1ull << (fd % 64));
    bool is = after.bits[fd / 64] & (1ull << (fd % 64));
    if (!is || was) continue;
    char link[64], target[1024], detail[1100];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = 0;
    snprintf(detail, sizeof(detail), "%d\t%s", fd, target);
    trace("fd", root, detail);
  }
}

struct ModuleCollector {
  Buffer modules, segments, *strings;
  uint64_t module_count = 0, segment_count = 0;
};

bool collect_module(const ModuleInfo& m, void* arg) {
  auto& c = *static_cast<ModuleCollector*>(arg);
  proto::DumpModule d{};
  char exe[4096];
  const char* name = m.name;
  if (m.is_executable) {
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    name = exe;
  }
  d.name_offset = c.strings->add_string(name);
  d.bias = m.bias;
  d.first_segment = c.segment_count;
  d.is_executable = m.is_executable;
  d.build_id_size = module_build_id(m, d.build_id);
  auto* ph = static_cast<const ElfW(Phdr)*>(m.phdrs);
  for (unsigned i = 0; i < m.phnum; ++i) {
    if (ph[i].p_type != PT_LOAD) continue;
    proto::DumpSegment s{m.bias + ph[i].p_vaddr, m.bias + ph[i].p_vaddr + ph[i].p_memsz,
                         ph[i].p_flags};
    c.segments.append(&s, sizeof(s));
    ++c.segment_count;
    ++d.segment_count;
  }
  c.modules.append(&d, sizeof(d));
  ++c.module_count;
  return true;
}

void write_dump(const char* path, const Buffer& globals, uint64_t global_count) {
  Buffer strings, roots;
  uint64_t root_count = 0;
  for (detail::root_base* r = first_baked(); r; r = next_baked(r)) {
    proto::DumpRoot d{};
    d.name_offset = strings.add_string(r->name);
    d.object_offset = reinterpret_cast<uintptr_t>(r->value.load()) - arena_base();
    d.size = r->size;
    d.align = r->align;
    d.type_hash = r->type_hash;
    roots.append(&d, sizeof(d));
    ++root_count;
  }
  ModuleCollector mc;
  mc.strings = &strings;
  for_each_module(collect_module, &mc);

  // Workers may still run (a pool outlives the initializers): hold the arena still while it is
  // written. They no longer capture; the lock only keeps frees from marking records meanwhile.
  arena_lock(true);
  static_assert(sizeof(AllocRecord) == sizeof(proto::DumpAlloc));
  Buffer regions;
  uint64_t region_count = 0, alloc_count = 0, arena_bytes = 0;
  for (unsigned i = 0; i < kArenaRegions; ++i) {
    size_t used, count;
    arena_region(i, &used, &count);
    if (i > 0 && used == 0) continue;
    proto::DumpRegion region{arena_region_start(i), used, count, records_offset(i)};
    regions.append(&region, sizeof(region));
    ++region_count;
    alloc_count += count;
    arena_bytes += used;
  }

  proto::DumpHeader h{};
  memcpy(h.magic, proto::kDumpMagic, sizeof(h.magic));
  h.arena_base = arena_base();
  h.arena_size = arena_bytes;
  h.region_count = region_count;
  Buffer stacks;
  h.threads_started = threads_started();
  for (unsigned i = 1; i <= h.threads_started && i < kArenaRegions; ++i) {
    uintptr_t start, end;
    bool exited;
    if (!thread_stack(i, &start, &end, &exited)) continue;
    proto::DumpStack st{i, start, end, exited ? 1u : 0u, 0};
    stacks.append(&st, sizeof(st));
    ++h.stack_count;
  }
  h.alloc_count = alloc_count;
  h.root_count = root_count;
  h.module_count = mc.module_count;
  h.segment_count = mc.segment_count;
  h.strings_size = strings.size;
  h.global_count = global_count;
  size_t static_count;
  bool statics_complete;
  const proto::DumpStatic* statics = recorded_statics(&static_count, &statics_complete);
  h.static_count = static_count;
  h.statics_complete = statics_complete;
  size_t site_count;
  const uint64_t* sites = arena_sites(&site_count);
  h.site_count = site_count;

  // The memory map, so the baker can say what an unbakeable value points at (stack, another
  // mapping, nothing).
  Buffer maps;
  if (int m = open("/proc/self/maps", O_RDONLY | O_CLOEXEC); m >= 0) {
    char chunk[4096];
    for (ssize_t n; (n = read(m, chunk, sizeof(chunk))) > 0;) maps.append(chunk, size_t(n));
    close(m);
  }
  h.maps_size = maps.size;

  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(proto::kExitSetup, "cannot create the dump ", path);
  write_all(fd, &h, sizeof(h));
  write_all(fd, roots.data, roots.size);
  write_all(fd, mc.modules.data, mc.modules.size);
  write_all(fd, mc.segments.data, mc.segments.size);
  write_all(fd, globals.data, globals.size);
  write_all(fd, strings.data, strings.size);
  write_all(fd, maps.data, maps.size);
  write_all(fd, regions.data, regions.size);
  write_all(fd, stacks.data, stacks.size);
  write_all(fd, statics, static_count * sizeof(proto::DumpStatic));
  write_all(fd, sites, h.site_count * sizeof(uint64_t));
  // The arena and its records are in the memory file already.
  if (close(fd) != 0) fail(proto::kExitSetup, "cannot write the dump ", path);
}

// Runs the initializers and writes the dump; never returns.
[[noreturn]] void bake(const char* output) {
  active = true;
  prepare_cxx_runtime();
#if !FASTBOOT_WRAPPED_ALLOCATOR
  prepare_audit();
#endif
  prepare_threads();
  prepare_statics();
  SnapshotSet before;
  for_each_module(snapshot_module, &before);

  // Capture (and the audit) covers the initializers only, not the bake's own bookkeeping.
  for (detail::root_base* r = first_baked(); r; r = next_baked(r)) {
    trace("begin", r->name);
    FdSet fds_before = open_fds();
    try {
      arena_window(true);
      arena_capture(true);
      (void)detail::resolve(*r);
      arena_capture(false);
      arena_window(false);
    } catch (const std::exception& e) {
      arena_capture(false);
      trace("throw", r->name, e.what());
      _exit(proto::kExitThrow);
    } catch (...) {
      arena_capture(false);
      trace("throw", r->name, "an exception not derived from std::exception");
      _exit(proto::kExitThrow);
    }
    trace_leaked_fds(r->name, fds_before);
    trace("end", r->name);
  }

  Buffer globals;
  uint64_t global_count = collect_changed_globals(before, &globals);
  write_dump(output, globals, global_count);
  _exit(proto::kExitOk);
}

void* bake_thread(void* output) { bake(static_cast<const char*>(output)); }

[[noreturn]] void bake_main(const char* output) {
  trace_path = getenv(proto::kEnvTrace);
  const char* base_text = getenv(proto::kEnvBase);
  if (!base_text) fail(proto::kExitSetup, proto::kEnvBase, " is not set");
  uintptr_t base = strtoull(base_text, nullptr, 16);
  if (base == 0 || base % 4096) fail(proto::kExitSetup, "bad arena base ", base_text);

  for (detail::root_base* a = first_root(); a; a = a->next)
    for (detail::root_base* b = a->next; b; b = b->next)
      if (strcmp(a->name, b->name) == 0)
        fail(proto::kExitSetup, "two roots are named '", a->name, "'; root names must be unique");
  if (const char* name = getenv(proto::kEnvRoot)) {
    for (detail::root_base* r = first_frozen(); r && !only_root; r = r->next)
      if (strcmp(r->name, name) == 0) only_root = r;
    if (!only_root) fail(proto::kExitSetup, "no frozen root is named '", name, "'");
    for (detail::root_base* r = only_root->next; r; r = r->next)
      if (strcmp(r->name, name) == 0) fail(proto::kExitSetup, "two frozen roots are named '", name, "'; names must be unique");
    if (only_root->construct_keyed) {  // a frozen map: the root of one key
      const char* key = getenv(proto::kEnvKey);
      if (!key) fail(proto::kExitSetup, "no key for the frozen map '", name, "'");
      if (!(only_root = key_root(*only_root, key, strlen(key)))) fail(proto::kExitSetup, "out of memory");
    }
  }

  if (const char* skew = getenv(proto::kEnvSkew)) arena_skew(strtoull(skew, nullptr, 16) % 32 & ~size_t(15));
  arena_gaps(getenv(proto::kEnvGaps) != nullptr);
  if (const char* reserve = getenv(proto::kEnvReserve); reserve && !arena_set_reserve(strtoull(reserve, nullptr, 16)))
    fail(proto::kExitSetup, "bad arena size ", reserve);
  arena_clear_below(getenv(proto::kEnvClearBelow) != nullptr);
  // The memory file: a memfd (only those have seals to read) that nothing has written yet, kept
  // from the processes the initializers may start.
  const char* memory_text = getenv(proto::kEnvMemory);
  char* memory_end = nullptr;
  long memory_fd = memory_text ? strtol(memory_text, &memory_end, 10) : -1;
  struct stat memory_stat {};
  if (!memory_text || *memory_end || memory_fd < 0 || memory_fd > INT_MAX || fcntl(int(memory_fd), F_GET_SEALS) < 0 ||
      fstat(int(memory_fd), &memory_stat) != 0 || memory_stat.st_size != 0)
    fail(proto::kExitSetup, proto::kEnvMemory, " is not a new memory file");
  fcntl(int(memory_fd), F_SETFD, FD_CLOEXEC);
  unsetenv(proto::kEnvMemory);
  if (const char* why = arena_begin(base, int(memory_fd)))
    fail(proto::kExitSetup, why, " at ", base_text, ": ", strerror(errno),
         base >= (uint64_t(1) << 39) ? " (taken, or past the end of this machine's address space: an aarch64 kernel "
                                       "with 39-bit virtual addresses has none there, and cannot bake; bake where "
                                       "addresses have 47 or 48 bits, natively or under qemu, docs/cross.md)"
                                     : "");

  // The initializers run on a thread whose stack, and so its thread-local storage, sits at the
  // address the baker chose, the same in both runs: register and stack leftovers that padding
  // copies from there are the same bytes in both, and in every bake.
  const char* stack_text = getenv(proto::kEnvStack);
  if (!stack_text) bake(output);
  uintptr_t stack = strtoull(stack_text, nullptr, 16);
  void* mem = stack % 4096 ? MAP_FAILED
                           : mmap(reinterpret_cast<void*>(stack), proto::kBakeStackSize, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
  if (mem != reinterpret_cast<void*>(stack)) fail(proto::kExitSetup, "cannot map the bake stack at ", stack_text);
  // This thread only waits, on a call bound before the baking thread starts: binding it lazily
  // would write the program's GOT, and a lazy binding's stack, while the initializers run, in
  // some bakes and not in others.
  int (*join)(pthread_t, void**) = pthread_join;
  asm volatile("" : "+r"(join));  // called through the pointer, not through the PLT
  pthread_attr_t attr;
  pthread_t thread;
  if (pthread_attr_init(&attr) != 0 || pthread_attr_setstack(&attr, mem, proto::kBakeStackSize) != 0 ||
      pthread_create(&thread, &attr, bake_thread, const_cast<char*>(output)) != 0)
    fail(proto::kExitSetup, "cannot start the baking thread");
  join(thread, nullptr);  // the baking thread ends the process
  _exit(proto::kExitSetup);
}

}  // namespace

void file_state(const char* path, char* out, size_t size) {
  struct stat st;
  if (stat(path, &st) != 0) snprintf(out, size, "absent");
  else
    snprintf(out, size, "%llu:%llu:%lld:%lld.%09ld", static_cast<unsigned long long>(st.st_dev),
             static_cast<unsigned long long>(st.st_ino), static_cast<long long>(st.st_size),
             static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
}

void audit(const char* kind, const char* what) {
  // Writing the trace must not itself be audited or allocate in the arena. One write per line:
  // workers may audit at the same time.
  unsigned char mode = arena_pause();
  trace("audit", kind, what ? what : "(null)");
  if (only_root && what && strcmp(kind, "file") == 0) {
    // Named as the freezer names a relative path: the working directory, a slash, the path.
    char full[4096], state[96];
    const char* path = what;
    if (what[0] != '/' && getcwd(full, sizeof(full))) {
      size_t used = strlen(full);
      snprintf(full + used, sizeof(full) - used, "%s%s", strcmp(full, "/") == 0 ? "" : "/", what);
      path = full;
    }
    file_state(path, state, sizeof(state));
    trace("opened", state, what);
  }
  arena_resume(mode);
  // A frozen root's first run reads without this: leave its stack as that run leaves it.
  clear_stack_frames(16 * 1024);
}

void audit_at(const char* kind, int dir, const char* path) {
  if (!path || path[0] == '/' || dir == AT_FDCWD) return audit(kind, path);
  char link[64], base[2048], full[4096];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", dir);
  unsigned char mode = arena_pause();
  ssize_t n = readlink(link, base, sizeof(base) - 1);
  arena_resume(mode);
  base[n > 0 ? n : 0] = 0;
  snprintf(full, sizeof(full), "%s/%s", base, path);
  audit(kind, full);
  clear_stack_frames(16 * 1024);
}

bool baking() { return active; }

void* bake_root(detail::root_base& r) {
  // Roots are numbered in the order they first start building, nested ones included.
  uint32_t index = 0;
  for (detail::root_base* p = first_baked(); p && p != &r; p = next_baked(p)) ++index;
  if (index >= proto::kMaxRoots) fail(proto::kExitSetup, "a program can have at most 65536 roots");
  uint32_t outer = arena_set_root(index);
  void* where = arena_alloc(r.size, r.align, 2 /* kAllocRootObject */, __builtin_return_address(0));
  if (!where) throw std::bad_alloc();
  clear_stack_below();
  construct_value(r, where);
  // What timing left past the ends of the value's strings and vectors must not reach the dump.
  if (r.clear_dead) r.clear_dead(where);
  arena_set_root(outer);
  return where;
}

}  // namespace fastboot::rt

extern "C" int __real_main(int, char**, char**);

extern "C" int __wrap_main(int argc, char** argv, char** envp) {
  if (const char* output = getenv(fastboot::protocol::kEnvOutput)) fastboot::rt::bake_main(output);
  if (fastboot::rt::freeze_worker && getenv("FASTBOOT_FREEZE_ROOT")) fastboot::rt::freeze_worker();
  // What main sets before a frozen root's first access is part of what its image depends on.
  if (fastboot::rt::first_frozen()) fastboot::rt::watch_program_state();
  return __real_main(argc, argv, envp);
}
