// A compressed arena decompressed on first touch: the arena's memory is registered with
// userfaultfd, and a thread of the runtime's fills each chunk the first time any thread touches
// it (decompressed, moved when the arena moved, copied in with UFFDIO_COPY), and fills the
// others in the background until none is left; then it unregisters and exits. The kernel
// reports a touch from a system call too (a write(2) of baked bytes), which is why this needs
// full userfaultfd and not a SIGSEGV handler. Where the kernel does not let this process handle
// its own faults (unprivileged userfaultfd is off by default), the loader decompresses every
// chunk up front instead.
//
// Every stored chunk's checksum is checked before the first one is served: a damaged image is
// refused while the initializers can still run, never found after roots were served.
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "fastboot/image-chunks.h"
#include "fastboot/image-validate.h"
#include "runtime.h"

namespace fastboot::rt {
namespace {

namespace img = fastboot::image;

struct Lazy {
  img::Header h;                // a copy: the loader's goes out of scope
  const unsigned char* section;
  unsigned char* arena;
  const img::ChunkEntry* chunks;
  const unsigned char* stored;  // the stored chunks, mapped read-only from the executable
  uint64_t stored_len;
  uint64_t delta;
  int uffd = -1, stop = -1;     // stop: an eventfd that wakes the fault server to end
  unsigned char* scratch = nullptr;  // one buffer for each of the two threads
  uint64_t scratch_len = 0;
  std::atomic<uint8_t>* state = nullptr;  // per chunk: kMissing, kClaimed, kFilled
  std::atomic<uint32_t> filled{0};
  std::atomic<bool> cancelled{false};
  pthread_t server, background;
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
  bool running = false;
};
FASTBOOT_STATE Lazy lazy;
enum : uint8_t { kMissing, kClaimed, kFilled };

int open_userfaultfd() {
  int fd = int(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
  if (fd >= 0) return fd;
  // Where unprivileged userfaultfd is off, access to /dev/userfaultfd may still be granted.
  int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
  if (dev < 0) return -1;
  fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
  close(dev);
  return fd;
}

void wake_server() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(lazy.stop, &one, sizeof(one));
}

// Fills chunk i unless another thread has claimed it: decompressed into this thread's scratch
// buffer, moved when the arena moved, and copied into the arena, which wakes every thread
// waiting on its pages. A chunk whose checksum passed cannot fail to decompress unless memory
// itself is corrupt: then there is nothing left to fall back to.
void fill(uint32_t i, unsigned char* scratch) {
  uint8_t missing = kMissing;
  if (!lazy.state[i].compare_exchange_strong(missing, kClaimed, std::memory_order_acq_rel)) return;
  const img::ChunkEntry& c = lazy.chunks[i];
  if (img::decompress_chunk_into(lazy.h.compression, c, lazy.stored, scratch)) {
    say("fastboot: a compressed chunk that passed its checksum did not decompress; aborting\n");
    abort();
  }
  memset(scratch + c.raw_size, 0, img::page_up(c.raw_size) - c.raw_size);
  if (lazy.delta) img::relocate_range(lazy.h, lazy.section, scratch, lazy.delta, c.raw_offset, c.raw_offset + c.raw_size);
  uffdio_copy copy{};
  copy.dst = reinterpret_cast<uint64_t>(lazy.arena + c.raw_offset);
  copy.src = reinterpret_cast<uint64_t>(scratch);
  copy.len = img::page_up(c.raw_size);
  while (ioctl(lazy.uffd, UFFDIO_COPY, &copy) != 0) {
    if (errno != EAGAIN || copy.copy <= 0) {
      say("fastboot: cannot fill a page of the arena on first touch; aborting\n");
      abort();
    }
    copy.dst += uint64_t(copy.copy);
    copy.src += uint64_t(copy.copy);
    copy.len -= uint64_t(copy.copy);
    copy.copy = 0;
  }
  lazy.state[i].store(kFilled, std::memory_order_release);
  if (lazy.filled.fetch_add(1, std::memory_order_acq_rel) + 1 == lazy.h.chunk_count) wake_server();
}

uint32_t chunk_at(uint64_t address) {
  uint64_t off = address - reinterpret_cast<uint64_t>(lazy.arena);
  uint32_t lo = 0, hi = lazy.h.chunk_count;  // the chunk with the largest raw_offset <= off
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    (lazy.chunks[mid].raw_offset <= off ? lo : hi) = mid;
  }
  return lo;
}

// Fills, in arena order, every chunk no touch asked for first.
void* fill_in_background(void*) {
  for (uint32_t i = 0; i < lazy.h.chunk_count && !lazy.cancelled.load(std::memory_order_relaxed); ++i)
    fill(i, lazy.scratch + lazy.scratch_len);
  return nullptr;
}

// Serves each touch of a chunk not filled yet, at once; ends when every chunk is filled (or the
// loader cancels), then unregisters the arena and frees what filling needed.
void* serve(void*) {
  while (lazy.filled.load(std::memory_order_acquire) < lazy.h.chunk_count &&
         !lazy.cancelled.load(std::memory_order_relaxed)) {
    pollfd fds[2] = {{lazy.uffd, POLLIN, 0}, {lazy.stop, POLLIN, 0}};
    if (poll(fds, 2, -1) <= 0) continue;
    if (fds[1].revents) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = read(lazy.stop, &count, sizeof(count));
    }
    uffd_msg msgs[16];
    ssize_t n = fds[0].revents ? read(lazy.uffd, msgs, sizeof(msgs)) : 0;
    for (ssize_t k = 0; k < n / ssize_t(sizeof(uffd_msg)); ++k) {
      if (msgs[k].event != UFFD_EVENT_PAGEFAULT) continue;
      uint64_t at = msgs[k].arg.pagefault.address;
      uint32_t i = chunk_at(at);
      if (lazy.state[i].load(std::memory_order_acquire) == kFilled) {  // reported before it was filled
        uffdio_range page{at & ~(img::kPageSize - 1), img::kPageSize};
        ioctl(lazy.uffd, UFFDIO_WAKE, &page);
      }
      fill(i, lazy.scratch);  // a chunk the background thread claimed wakes its waiters itself
    }
  }
  lazy.cancelled.store(true, std::memory_order_relaxed);
  pthread_join(lazy.background, nullptr);
  uffdio_range all{reinterpret_cast<uint64_t>(lazy.arena), img::page_up(lazy.h.arena_size)};
  ioctl(lazy.uffd, UFFDIO_UNREGISTER, &all);
  close(lazy.uffd);
  munmap(const_cast<unsigned char*>(lazy.stored), lazy.stored_len);
  munmap(lazy.scratch, 2 * lazy.scratch_len);
  munmap(lazy.state, lazy.h.chunk_count);
  pthread_mutex_lock(&lazy.lock);
  lazy.running = false;
  close(lazy.stop);
  pthread_cond_broadcast(&lazy.cond);
  pthread_mutex_unlock(&lazy.lock);
  return nullptr;
}

// fork() copies the arena's mapping without its userfaultfd: a child would read pages not yet
// filled as zeros. Before a fork, every chunk is filled.
void finish_before_fork() { lazy_wait(); }

}  // namespace

void lazy_wait() {
  pthread_mutex_lock(&lazy.lock);
  while (lazy.running) pthread_cond_wait(&lazy.cond, &lazy.lock);
  pthread_mutex_unlock(&lazy.lock);
}

const char* lazy_fill(const img::Header& h, const unsigned char* section, unsigned char* arena,
                      const unsigned char* stored, uint64_t stored_len, uint64_t delta, bool* started) {
  *started = false;
  auto* chunks = reinterpret_cast<const img::ChunkEntry*>(section + h.chunks_offset);
  uint64_t largest = 0;
  for (uint32_t i = 0; i < h.chunk_count; ++i) largest = chunks[i].raw_size > largest ? chunks[i].raw_size : largest;
  if (h.chunk_count == 0) return nullptr;
  int uffd = open_userfaultfd();
  if (uffd < 0) return nullptr;
  uffdio_api api{UFFD_API, 0, 0};
  uffdio_register reg{};
  reg.range = {reinterpret_cast<uint64_t>(arena), img::page_up(h.arena_size)};
  reg.mode = UFFDIO_REGISTER_MODE_MISSING;
  lazy.stop = eventfd(0, EFD_CLOEXEC);
  void* scratch = mmap(nullptr, 2 * img::page_up(largest), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* states = mmap(nullptr, h.chunk_count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  // Gives back what filling would have used: the loader decompresses up front (or not at all).
  auto release = [&](const char* why) {
    close(uffd);
    if (lazy.stop >= 0) close(lazy.stop);
    if (scratch != MAP_FAILED) munmap(scratch, 2 * img::page_up(largest));
    if (states != MAP_FAILED) munmap(states, h.chunk_count);
    return why;
  };
  if (ioctl(uffd, UFFDIO_API, &api) != 0 || lazy.stop < 0 || scratch == MAP_FAILED || states == MAP_FAILED)
    return release(nullptr);
  // Damage is found now, while the image can still be refused (a chunk per task, every core).
  struct Check {
    const img::ChunkEntry* chunks;
    const unsigned char* stored;
    std::atomic<bool> damaged{false};
  } check{chunks, stored};
  run_tasks(h.chunk_count, startup_threads(), [](unsigned i, void* arg) {
    auto* c = static_cast<Check*>(arg);
    if (img::chunk_checksum(c->stored + c->chunks[i].stored_offset, c->chunks[i].stored_size) != c->chunks[i].checksum)
      c->damaged.store(true, std::memory_order_relaxed);
  }, &check);
  if (check.damaged.load()) return release("the compressed arena is damaged");
  if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) return release(nullptr);
  lazy.h = h;
  lazy.section = section;
  lazy.arena = arena;
  lazy.chunks = chunks;
  lazy.stored = stored;
  lazy.stored_len = stored_len;
  lazy.delta = delta;
  lazy.uffd = uffd;
  lazy.scratch = static_cast<unsigned char*>(scratch);
  lazy.scratch_len = img::page_up(largest);
  lazy.state = static_cast<std::atomic<uint8_t>*>(states);  // zero: kMissing
  lazy.running = true;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 << 10);
  int rc = pthread_create(&lazy.background, &attr, fill_in_background, nullptr);
  if (rc == 0 && pthread_create(&lazy.server, &attr, serve, nullptr) != 0) {
    lazy.cancelled.store(true);
    pthread_join(lazy.background, nullptr);
    rc = -1;
  }
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    ioctl(uffd, UFFDIO_UNREGISTER, &reg.range);
    lazy.running = false;
    return release(nullptr);
  }
  pthread_detach(lazy.server);
  FASTBOOT_STATE static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
  pthread_once(&atfork_once, [] { pthread_atfork(finish_before_fork, nullptr, nullptr); });
  *started = true;
  return nullptr;
}

void lazy_cancel() {
  pthread_mutex_lock(&lazy.lock);
  bool running = lazy.running;
  if (running) {
    lazy.cancelled.store(true, std::memory_order_relaxed);
    wake_server();
  }
  pthread_mutex_unlock(&lazy.lock);
  if (running) lazy_wait();
}

}  // namespace fastboot::rt
