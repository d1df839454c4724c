// Per-thread libc state that an initializer leaves behind. A dlopen that fails makes glibc
// allocate the calling thread's dlerror result (24 bytes, with malloc) right after the failure,
// pointing at a message the dynamic loader allocated itself. TBB does this on a machine without
// its optional libraries (libirml, libiomp5). Nothing of the root points at that block, but a
// full vector allocated just before it ends exactly where the block would start unless the
// arena leaves a gap: its end pointer must not pull libc's block into the image.
#include <dlfcn.h>

#include <string>
#include <thread>
#include <vector>

#include "e2e.h"

namespace {

// Whether dlerror reported the missing library, as a value that does not depend on the machine.
std::string failed_dlopen(const char* name) {
  void* handle = dlopen(name, RTLD_NOW);
  const char* error = dlerror();
  if (handle) return "loaded";
  if (!error) return "failed, no dlerror message";
  return std::string(error).find(name) != std::string::npos ? "failed, dlerror names it" : "failed, another message";
}

struct Table {
  std::vector<long> before_main;    // full: its end is where the next allocation goes
  std::string main_error;           // the baking thread's failed dlopen
  std::vector<long> before_worker;  // made and filled on a worker, full too
  std::string worker_error;         // the worker's failed dlopen
};

}  // namespace

// tests/frozen builds it with E2E_FROZEN (Root, e2e.h): the freezer runs the same passes.

static Root<Table> table{"table", [] {
  ++initializer_runs;
  Table t;
  t.before_main.resize(4096);  // 32 KiB, a multiple of the allocator's alignment
  for (long i = 0; i < 4096; ++i) t.before_main[i] = i * i;
  t.main_error = failed_dlopen("libfastboot-test-absent-main.so.1");
  std::thread worker([&t] {
    std::vector<long> v(2048);
    for (long i = 0; i < 2048; ++i) v[i] = 3 * i;
    t.worker_error = failed_dlopen("libfastboot-test-absent-worker.so.1");
    t.before_worker = std::move(v);
  });
  worker.join();
  return t;
}};

int main() {
  const Table& t = *table;
  long sum_main = 0, sum_worker = 0;
  for (long v : t.before_main) sum_main += v;
  for (long v : t.before_worker) sum_worker += v;
  std::printf("main thread: %zu longs, sum %ld, %s\n", t.before_main.size(), sum_main, t.main_error.c_str());
  std::printf("worker: %zu longs, sum %ld, %s\n", t.before_worker.size(), sum_worker, t.worker_error.c_str());
  print_status();
}
