// Function-local statics and exit handlers the initializers create during a bake. A static
// constructed while a root was built (a library's registry, a cache behind a Meyers singleton)
// holds state the baked values may need: spdlog::get() finds a logger only in the registry it
// was registered in. The runtime interposes the C++ ABI's guard functions and __cxa_atexit and
// records, while initializers run, each guard released and each exit handler registered (with
// the guard whose static was being constructed then); the baker restores those statics, their
// guards and their handlers in the baked program (baker/statics.cc). Outside a bake the hooks
// only forward. A -static program has no dynamic symbols to interpose: nothing is recorded
// there, and its statics are built again where it runs.
#include <dlfcn.h>

#include <atomic>
#include <cstdint>

#include "runtime.h"

namespace fastboot::rt {
namespace {

constexpr unsigned kMaxStatics = 4096;
FASTBOOT_STATE protocol::DumpStatic records[kMaxStatics];
FASTBOOT_STATE std::atomic<unsigned> record_count{0};

// The guards this thread is constructing the statics of, innermost last.
constexpr unsigned kMaxDepth = 32;
thread_local std::uint64_t* constructing[kMaxDepth] __attribute__((tls_model("initial-exec")));
thread_local unsigned depth __attribute__((tls_model("initial-exec")));

[[maybe_unused]] void add(const protocol::DumpStatic& r) {
  unsigned i = record_count.fetch_add(1, std::memory_order_relaxed);
  if (i < kMaxStatics) records[i] = r;
}

[[maybe_unused]] std::uintptr_t innermost() { return depth && depth <= kMaxDepth ? reinterpret_cast<std::uintptr_t>(constructing[depth - 1]) : 0; }

}  // namespace

const protocol::DumpStatic* recorded_statics(std::size_t* count, bool* complete) {
  unsigned n = record_count.load(std::memory_order_acquire);
  *complete = n <= kMaxStatics;
  *count = n < kMaxStatics ? n : kMaxStatics;
  return records;
}

#if !FASTBOOT_WRAPPED_ALLOCATOR
namespace {
template <typename Fn>
Fn next(Fn& cached, const char* name) {
  if (!cached) cached = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
  return cached;
}
using AcquireFn = int (*)(std::uint64_t*);
using ReleaseFn = void (*)(std::uint64_t*);
using AtexitFn = int (*)(void (*)(void*), void*, void*);
FASTBOOT_STATE AcquireFn real_acquire;
FASTBOOT_STATE ReleaseFn real_release, real_abort;
FASTBOOT_STATE AtexitFn real_atexit;
}  // namespace
#endif

void prepare_statics() {
#if !FASTBOOT_WRAPPED_ALLOCATOR
  // Looked up before the bake, so that no lookup allocates while initializers run.
  next(real_acquire, "__cxa_guard_acquire");
  next(real_release, "__cxa_guard_release");
  next(real_abort, "__cxa_guard_abort");
  next(real_atexit, "__cxa_atexit");
#endif
}

}  // namespace fastboot::rt

#if !FASTBOOT_WRAPPED_ALLOCATOR
using namespace fastboot::rt;

extern "C" int __cxa_guard_acquire(std::uint64_t* guard) {
  int construct = next(real_acquire, "__cxa_guard_acquire")(guard);
  if (construct && auditing()) {
    if (depth < kMaxDepth) constructing[depth] = guard;
    ++depth;
  }
  return construct;
}

extern "C" void __cxa_guard_release(std::uint64_t* guard) noexcept {
  bool ours = depth && (depth > kMaxDepth || constructing[depth - 1] == guard);
  if (ours) --depth;
  next(real_release, "__cxa_guard_release")(guard);
  if (ours && auditing()) add({reinterpret_cast<std::uintptr_t>(guard), 0, 0, 0});
}

extern "C" void __cxa_guard_abort(std::uint64_t* guard) noexcept {
  if (depth && (depth > kMaxDepth || constructing[depth - 1] == guard)) --depth;
  next(real_abort, "__cxa_guard_abort")(guard);
}

extern "C" int __cxa_atexit(void (*fn)(void*), void* obj, void* dso) noexcept {
  int rc = next(real_atexit, "__cxa_atexit")(fn, obj, dso);
  if (rc == 0 && auditing())
    add({innermost(), reinterpret_cast<std::uintptr_t>(fn), reinterpret_cast<std::uintptr_t>(obj),
         reinterpret_cast<std::uintptr_t>(dso)});
  return rc;
}
#endif
