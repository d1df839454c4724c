// Threads the initializers start during a bake, directly or through a library (std::thread,
// std::async, OpenMP, TBB): each gets a region of the arena of its own, numbered in the order
// the threads were started, and captures its allocations while an initializer runs. Outside a
// bake, pthread_create only forwards. A -static program reaches this through
// --wrap=pthread_create (this file built with FASTBOOT_WRAPPED_ALLOCATOR).
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <atomic>

#include "runtime.h"

namespace fastboot::rt {
namespace {

using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
#if FASTBOOT_WRAPPED_ALLOCATOR
extern "C" int __real_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
FASTBOOT_STATE CreateFn real_create = __real_pthread_create;
#else
FASTBOOT_STATE CreateFn real_create;
#endif

// What a new worker needs before it runs the caller's function: handed over in a fixed table,
// since pthread_create must not allocate on a capturing thread.
struct Start {
  void* (*fn)(void*);
  void* arg;
  unsigned region;
  std::atomic<bool> busy;
};
FASTBOOT_STATE Start starts[256];
FASTBOOT_STATE std::atomic<unsigned> workers_started{0};
// Each worker's stack, so the baker can name a pointer into one, and whether its function has
// returned (then the stack holds only frames that are gone, like the baking thread's).
struct Stack {
  std::atomic<uintptr_t> start, end;
  std::atomic<bool> exited;
};

// A worker's stack lies at a fixed address of its own, the same in both runs (like the baking
// thread's): register and stack leftovers a worker copies into padding agree between the runs.
constexpr uintptr_t kWorkerStacks = 0x7ee000000000;
constexpr size_t kWorkerStackSize = size_t(64) << 20;

// A fixed stack for worker `region`, honouring the caller's detach state; false to let the
// caller's attributes stand (a stack of its own, or no room).
bool fixed_stack(unsigned region, const pthread_attr_t* given, pthread_attr_t* out) {
  void* own = nullptr;
  size_t own_size = 0;
  if (given && pthread_attr_getstack(given, &own, &own_size) == 0 && own) return false;
  void* want = reinterpret_cast<void*>(kWorkerStacks + uintptr_t(region) * kWorkerStackSize);
  void* mem = mmap(want, kWorkerStackSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
  if (mem != want) {
    if (mem != MAP_FAILED) munmap(mem, kWorkerStackSize);
    return false;
  }
  int detach = PTHREAD_CREATE_JOINABLE;
  if (given) pthread_attr_getdetachstate(given, &detach);
  if (pthread_attr_init(out) != 0) return false;
  pthread_attr_setdetachstate(out, detach);
  return pthread_attr_setstack(out, mem, kWorkerStackSize) == 0;
}
FASTBOOT_STATE Stack stacks[kArenaRegions];

void* start_worker(void* slot) {
  auto* s = static_cast<Start*>(slot);
  void* (*fn)(void*) = s->fn;
  void* arg = s->arg;
  unsigned region = s->region;
  s->busy.store(false, std::memory_order_release);
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* base = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &base, &size) == 0) {
      stacks[region].start.store(reinterpret_cast<uintptr_t>(base), std::memory_order_relaxed);
      stacks[region].end.store(reinterpret_cast<uintptr_t>(base) + size, std::memory_order_release);
    }
    pthread_attr_destroy(&attr);
  }
  arena_join_as_worker(region);
  clear_stack_below();
  void* result = fn(arg);
  arena_leave();
  stacks[region].exited.store(true, std::memory_order_release);
  return result;
}

// A thread started by a frozen root's initializer on its first run: it records its allocations
// too (track_join), so that the value it builds can be described.
struct TrackedStart {
  void* (*fn)(void*);
  void* arg;
};

void* start_tracked(void* p) {
  TrackedStart s = *static_cast<TrackedStart*>(p);
  free(p);
  track_join();
  clear_stack_below();
  void* result = s.fn(s.arg);
  track_leave();
  return result;
}

// The next pthread_create; looked up on first use outside a bake.
CreateFn next_create() {
#if !FASTBOOT_WRAPPED_ALLOCATOR
  if (!real_create) real_create = reinterpret_cast<CreateFn>(dlsym(RTLD_NEXT, "pthread_create"));
#endif
  return real_create;
}

// OpenMP's runtime keeps its teams and pools; the dynamic loader allocates a new thread's TLS
// vector (and link maps for dlopen). Neither is ever part of a root.
bool skip_threading_runtime(const ModuleInfo& m, void*) {
  if (!strstr(m.name, "libgomp.so") && !strstr(m.name, "ld-linux")) return true;
  auto* ph = static_cast<const ElfW(Phdr)*>(m.phdrs);
  for (unsigned i = 0; i < m.phnum; ++i)
    if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X))
      arena_never_capture(m.bias + ph[i].p_vaddr, m.bias + ph[i].p_vaddr + ph[i].p_memsz);
  return true;
}

}  // namespace

unsigned threads_started() { return workers_started.load(std::memory_order_relaxed); }

bool thread_stack(unsigned i, uintptr_t* start, uintptr_t* end, bool* exited) {
  if (i == 0 || i >= kArenaRegions) return false;
  *end = stacks[i].end.load(std::memory_order_acquire);
  *start = stacks[i].start.load(std::memory_order_relaxed);
  *exited = stacks[i].exited.load(std::memory_order_acquire);
  return *end != 0;
}

void prepare_threads() {
  next_create();
  for_each_module(skip_threading_runtime, nullptr);
}

}  // namespace fastboot::rt

using namespace fastboot::rt;

#if FASTBOOT_WRAPPED_ALLOCATOR
#define PTHREAD_CREATE __wrap_pthread_create
#else
#define PTHREAD_CREATE pthread_create
#endif

extern "C" int PTHREAD_CREATE(pthread_t* thread, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  if (!next_create()) return EAGAIN;
  if (!baking() && track_here()) {
    auto* s = static_cast<TrackedStart*>(malloc(sizeof(TrackedStart)));
    if (!s) return EAGAIN;
    *s = {fn, arg};
    int rc = real_create(thread, attr, start_tracked, s);
    if (rc != 0) free(s);
    return rc;
  }
  if (!baking() || !arena_window_open()) return real_create(thread, attr, fn, arg);
  // Started while an initializer runs: a worker of the bake, with the next region.
  arena_threads_started();
  unsigned region = workers_started.fetch_add(1, std::memory_order_relaxed) + 1;
  if (region >= kArenaRegions) return real_create(thread, attr, fn, arg);  // not captured
  for (Start& s : starts) {
    bool expected = false;
    if (!s.busy.compare_exchange_strong(expected, true, std::memory_order_acquire)) continue;
    s.fn = fn;
    s.arg = arg;
    s.region = region;
    pthread_attr_t fixed;
    bool own_stack = fixed_stack(region, attr, &fixed);
    int rc = real_create(thread, own_stack ? &fixed : attr, start_worker, &s);
    if (own_stack) pthread_attr_destroy(&fixed);
    if (rc != 0) s.busy.store(false, std::memory_order_release);
    return rc;
  }
  return real_create(thread, attr, fn, arg);
}
