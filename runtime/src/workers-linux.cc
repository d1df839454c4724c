// Startup work split across the machine's cores: decompressing a compressed arena's chunks and
// moving a relocated arena's pointers, a range per task. Threads live only while the loader
// runs; without them (one core, FASTBOOT_THREADS=1, or pthread_create refused) the calling
// thread does every task.
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <atomic>

#include "runtime.h"

namespace fastboot::rt {
namespace {

constexpr unsigned kMaxWorkers = 16;

struct Batch {
  unsigned count;
  void (*fn)(unsigned, void*);
  void* arg;
  std::atomic<unsigned> next{0};
};

void drain(Batch* b) {
  for (unsigned i; (i = b->next.fetch_add(1, std::memory_order_relaxed)) < b->count;) b->fn(i, b->arg);
}

void* worker(void* batch) {
  drain(static_cast<Batch*>(batch));
  return nullptr;
}

}  // namespace

unsigned startup_threads() {
  // FASTBOOT_THREADS=N caps the threads (1 .. 16); anything else in it is ignored.
  if (const char* v = getenv("FASTBOOT_THREADS"); v && *v) {
    char* end = nullptr;
    unsigned long n = strtoul(v, &end, 10);
    if (*end == 0 && n >= 1 && n <= kMaxWorkers) return unsigned(n);
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n < 1 ? 1 : n > int(kMaxWorkers) ? kMaxWorkers : unsigned(n);
}

unsigned run_tasks(unsigned count, unsigned threads, void (*fn)(unsigned task, void* arg), void* arg) {
  Batch batch{count, fn, arg};
  pthread_t ids[kMaxWorkers];
  unsigned started = 0;
  if (threads > count) threads = count;
  pthread_attr_t attr;
  bool attr_ok = pthread_attr_init(&attr) == 0;
  if (attr_ok) pthread_attr_setstacksize(&attr, 256 << 10);
  for (; started + 1 < threads && started < kMaxWorkers; ++started)
    if (pthread_create(&ids[started], attr_ok ? &attr : nullptr, worker, &batch) != 0) break;
  if (attr_ok) pthread_attr_destroy(&attr);
  drain(&batch);
  for (unsigned i = 0; i < started; ++i) pthread_join(ids[i], nullptr);
  return started + 1;
}

}  // namespace fastboot::rt
