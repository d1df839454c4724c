// Internal interfaces between the runtime's files. Nothing here is seen by user code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <pthread.h>
#include <sys/mman.h>

#include "fastboot/bake-protocol.h"
#include "fastboot/fastboot.hpp"
#include "fastboot/image-format.h"

namespace fastboot::rt {

// ThreadSanitizer allows program memory only in a few ranges: the runtime's own choices of
// address (random bases, frozen roots' bases) stay in the upper one, beside the bake's.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif
#else
inline constexpr bool kThreadSanitizer = false;
#endif

// The runtime's own mutable globals live in one section, so that watching the program's state
// (main-state-linux.cc) can leave them out: they change as the runtime works (an image mapped,
// a freezer started), which is no change of the program's.
#define FASTBOOT_STATE __attribute__((section("fastboot_state")))

// --- alloc-hooks.cc: the arena and the allocator hooks -----------------------------------

using AllocRecord = protocol::DumpAlloc;

// The arena's address space: 128 GiB, or less where the baker asks (protocol::kEnvReserve). Its
// regions: the baking thread's (half of it: 64 GiB), then an equal share of the other half for
// each of the first 128 threads the initializers start (512 MiB), in the order they were started.
inline constexpr unsigned kArenaRegions = 1 + protocol::kCapturedThreads;
inline constexpr std::uint64_t kArenaReserve = std::uint64_t(128) << 30;
extern std::uint64_t arena_reserve;  // set once, before the arena is mapped
inline std::uint64_t arena_region_start(unsigned index) {
  const std::uint64_t half = arena_reserve / 2;
  return index == 0 ? 0 : half + std::uint64_t(index - 1) * (half / protocol::kCapturedThreads);
}
inline void arena_region_of(std::uint64_t offset, unsigned* index, std::uint64_t* start) {
  const std::uint64_t half = arena_reserve / 2;
  *index = offset < half ? 0 : 1 + unsigned((offset - half) / (half / protocol::kCapturedThreads));
  if (*index >= kArenaRegions) *index = kArenaRegions - 1;
  *start = arena_region_start(*index);
}

// Where region `index` keeps its allocation records in the bake's memory file: after the arena,
// at the region's own offset, since a region holds at most one allocation per 16 bytes and a
// record takes 16. The file spans twice the arena, sparse: only what was written takes memory.
inline std::uint64_t records_offset(unsigned index) { return arena_reserve + arena_region_start(index); }
inline std::uint64_t memory_file_size() { return 2 * arena_reserve; }
static_assert(sizeof(AllocRecord) == 16 && kArenaReserve <= (std::uint64_t(1) << protocol::kAllocOffsetBits));

// Reserves the arena at exactly `base`, its bytes and records in the memory file `fd` (shared
// with the baker, see protocol::kEnvMemory). Returns null, or what failed.
const char* arena_begin(std::uintptr_t base, int fd);
// A smaller arena (protocol::kEnvReserve) before arena_begin; false if `bytes` is not a power of
// two from protocol::kMinArenaReserve to kArenaReserve.
bool arena_set_reserve(std::uint64_t bytes);
// Routes this thread's allocations to the arena (true) or the system allocator (false).
void arena_capture(bool on);
// Sends this thread's allocations to the system allocator for a moment (the bake's own work
// inside a hook), then back to where they went.
unsigned char arena_pause();
void arena_resume(unsigned char mode);
// Allocations called from code in [lo, hi) never go to the arena (a threading runtime's own).
void arena_never_capture(std::uintptr_t lo, std::uintptr_t hi);
// This run's offset modulo 32 for allocations made after the initializers started threads
// (0 in run A, 16 in run B), and the moment they do.
void arena_skew(std::size_t residue);
// Never starts an allocation where the one before ends (the baker's second try, see kEnvGaps).
void arena_gaps(bool on);
// Clears the stack below every allocation and free (see kEnvClearBelow).
void arena_clear_below(bool on);
void arena_threads_started();
// Opens or closes the window in which threads the initializers started capture too.
void arena_window(bool open);
bool arena_window_open();
// Makes this thread a worker of the bake with its own region (1 .. kArenaRegions - 1), or
// returns it to the system allocator.
void arena_join_as_worker(unsigned index);
void arena_leave();
// Tags the arena allocations that follow with a root index; returns the previous tag.
std::uint32_t arena_set_root(std::uint32_t root);
void* arena_alloc(std::size_t size, std::size_t align, std::uint32_t flags, void* site);
// The arena's own bookkeeping, which changes during a bake and is not the program's state.
void arena_state_range(std::uintptr_t* lo, std::uintptr_t* hi);
std::uintptr_t arena_base();
// Region `index`'s bytes used (from its start) and its records, sorted by offset. Hold the
// arena's lock (arena_lock) while reading them if workers may still allocate.
const AllocRecord* arena_region(unsigned index, std::size_t* used, std::size_t* count);
// The allocation sites by number (DumpAlloc::site); the caller holds the arena lock.
const std::uint64_t* arena_sites(std::size_t* count);
void arena_lock(bool on);

// A frozen root's first run: every allocation this thread makes from track_begin() to
// track_end() is zero-filled (as the bake's fresh arena is) and recorded, so that the value the
// program built can be described to the freezer (first-run-linux.cc). One thread tracks at a
// time: track_begin() is false while another does, or while this one captures.
struct Tracked {
  std::uintptr_t address;
  std::size_t size;  // bytes requested, or kTrackedFree: the block at address was freed
};
inline constexpr std::size_t kTrackedFree = ~std::size_t(0);
bool track_begin();
// The allocations since track_begin(), oldest first (freed ones too), or null if they could not
// all be recorded; valid until track_release(), which lets another thread track.
const Tracked* track_end(std::size_t* count);
void track_release();
// Whether this thread records now; threads it starts record too (track_join) until track_end().
bool track_here();
void track_join();
void track_leave();

// A growable array, for the runtime's work outside a bake's capture (a frozen root's first run
// and its cache files): on malloc while small, then on its own mapping, which grows by mremap
// without a copy (malloc's realloc copies a block on its heap, where its threshold for mapping
// has risen past a program's large frees). Running out of memory clears ok for good: later
// pushes and appends do nothing, and the caller checks ok once at the end.
template <class T>
struct Array {
  T* data = nullptr;
  std::size_t size = 0, cap = 0;
  bool ok = true;
  bool mapped = false;
  static constexpr std::size_t kMapFrom = std::size_t(1) << 20;  // bytes
  Array() = default;
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;
  ~Array() {
    if (mapped) munmap(data, cap * sizeof(T));
    else free(data);
  }
  // Room for n elements in all; false (and ok false) when there is none.
  bool reserve(std::size_t n) {
    if (!ok) return false;
    if (n <= cap) return true;
    std::size_t c = cap ? cap * 2 : 256;
    while (c < n) c *= 2;
    void* d;
    if (mapped) {
      d = mremap(data, cap * sizeof(T), c * sizeof(T), MREMAP_MAYMOVE);
    } else if (c * sizeof(T) >= kMapFrom) {
      d = mmap(nullptr, c * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (d != MAP_FAILED) {
        if (size) std::memcpy(d, data, size * sizeof(T));
        free(data);
        mapped = true;
      }
    } else {
      d = realloc(data, c * sizeof(T));
      if (!d) d = MAP_FAILED;
    }
    if (d == MAP_FAILED) return ok = false;
    data = static_cast<T*>(d);
    cap = c;
    return true;
  }
  T* push(const T& v) {
    if (!reserve(size + 1)) return nullptr;
    data[size] = v;
    return &data[size++];
  }
  void append(const T* p, std::size_t n) {
    if (!reserve(size + n)) return;
    if (n) memcpy(data + size, p, n * sizeof(T));
    size += n;
  }
};

// Reads a module's writable data as raw words: under AddressSanitizer that memory holds poisoned
// redzones between globals, which these deliberate whole-segment reads must not trip.
__attribute__((no_sanitize("address"), optimize("no-tree-loop-distribute-patterns"))) inline void copy_words(
    std::uint64_t* to, const std::uint64_t* from, std::size_t words) {
  for (std::size_t i = 0; i < words; ++i) to[i] = from[i];
}
__attribute__((no_sanitize("address"))) inline std::uint64_t word_at(std::uintptr_t addr) {
  return *reinterpret_cast<const std::uint64_t*>(addr);
}

// --- main-state-linux.cc: what main changed before a frozen root's first access -------------

// Copies the writable data of the program and of its libraries other than the C and C++
// runtimes, as static initialization left it: called as main starts, in programs with frozen
// roots. Large data (over 64 MiB in all) is not copied; then nothing is watched.
void watch_program_state();
// A hash of the words of that data that differ from the copy now (pointers into modules taken
// relative to their module), the runtime's own state and the roots' objects left out; *words is
// how many differ, *first names the first ("program+0x4010"). False if nothing is watched.
bool program_state(std::uint64_t* hash, std::uint64_t* words, char* first, std::size_t first_size);
// Around a root's first access: what it changes is taken to be the initial state. begin's result
// goes to end.
bool state_access_begin();
void state_access_end(bool began);
// The two around a scope.
class StateAccess {
 public:
  StateAccess() : began_(state_access_begin()) {}
  ~StateAccess() { state_access_end(began_); }
  StateAccess(const StateAccess&) = delete;
  StateAccess& operator=(const StateAccess&) = delete;

 private:
  bool began_;
};

// --- first-run-linux.cc ---------------------------------------------------------------------

// Describes the value a frozen root's first run built (protocol::FirstRun) into the private file
// `name` in dir, from the allocations tracked while its initializer ran. False and why if it
// cannot: then no image is made from this run.
bool write_first_run(int dir, const char* name, const detail::root_base& r, const void* value, const Tracked* tracked,
                     std::size_t count, const char** why);

// Memory that free() and friends must leave alone: a mapped image (the baked one, frozen roots'
// ones). False when there are too many to track (the image must then not be used).
bool add_image_range(std::uintptr_t lo, std::uintptr_t hi);

// --- roots.cc -----------------------------------------------------------------------------

detail::root_base* first_root();
// Frozen roots (frozen-linux.cc registers them; the bake builds one when asked).
detail::root_base* first_frozen();
void add_frozen(detail::root_base& r);
// The runtime's own words: its mutable globals (FASTBOOT_STATE) and the roots' objects, which
// change as it works and are no state of the program's.
bool runtime_data(std::uintptr_t addr);
// Where the runtime's mutable globals lie ([0, 0) when it has none).
void runtime_state_range(std::uintptr_t* lo, std::uintptr_t* hi);
// The freezer's entry in this program, set when a frozen root registers: __wrap_main runs it in
// the freezer's background process (FASTBOOT_FREEZE_ROOT), so programs without frozen roots
// never link it.
extern void (*freeze_worker)();
// Holds a root's first-access lock (the opaque pthread mutex in root_base) for a scope.
static_assert(sizeof(pthread_mutex_t) <= sizeof(detail::root_base::lock) && alignof(pthread_mutex_t) <= 8);
class FirstAccess {
 public:
  explicit FirstAccess(detail::root_base& r) : m_(reinterpret_cast<pthread_mutex_t*>(r.lock)) { pthread_mutex_lock(m_); }
  ~FirstAccess() { pthread_mutex_unlock(m_); }
  FirstAccess(const FirstAccess&) = delete;
  FirstAccess& operator=(const FirstAccess&) = delete;

 private:
  pthread_mutex_t* m_;
};

// Zeroes the 256 KiB of stack below the caller's frame: an initializer started right after it
// leaves in its value (a union's unused bytes, padding copied from a stack temporary) only what
// its own frames wrote, whatever ran on the thread before. The bake and a frozen root's first
// run both start initializers this way, so those bytes agree between them.
void clear_stack_below();
// Zeroes `bytes` of stack below the caller's frame: what the calls it made left there, when a
// frozen root's first run does not make them (the arena's allocator, the audit).
void clear_stack_frames(std::size_t bytes);

// Runs r's initializer (with its key, for a frozen map's) to construct the value at where.
inline void construct_value(detail::root_base& r, void* where) {
  if (r.key) r.construct_keyed(r.init, r.key, r.key_size, where);
  else r.construct(r.init, where);
}
// A frozen map's root for a key: found, or made (frozen-linux.cc); null if out of memory.
detail::root_base* key_root(detail::root_base& map, const char* key, std::size_t key_size);

// Runs r's initializer into heap memory, as an unbaked program does; throws what it throws.
void* run_initializer(detail::root_base& r, bool clean_stack = false);
// Initializes the C++ runtime's lazy global state (the classic locale) that baked values may
// point into: before the bake's snapshot, and before a baked program serves its roots.
void prepare_cxx_runtime();

// --- bake-linux.cc ------------------------------------------------------------------------

// True inside a baking process.
bool baking();
// A file's state as a frozen root's cache records it: "absent", or its device, inode, size and
// modification time. The same text wherever it is taken.
void file_state(const char* path, char* out, std::size_t size);
// The path of this process's executable (readlink of /proc/self/exe), into out; false if unknown.
bool executable_path(char* out, std::size_t size);
// Builds r's value in the arena (the baking process's resolve()).
void* bake_root(detail::root_base& r);

// True on the baking thread and the threads it started while initializers run (the calls the
// audit records).
bool auditing();
// Traces "audit <kind>\t<what>" for the baker; audit_at resolves a path relative to a dirfd.
// In a frozen root's bake runs, a file is also traced with its state just before it is opened
// ("opened <state>\t<path>"), so the freezer can tell that no file changed while its runs,
// side by side, read it.
void audit(const char* kind, const char* what);
void audit_at(const char* kind, int dir, const char* path);

// --- threads-linux.cc ---------------------------------------------------------------------

// How many threads the initializers started, and the stack of thread i (1-based; false if it
// was not recorded) and whether its function has returned.
unsigned threads_started();
bool thread_stack(unsigned i, std::uintptr_t* start, std::uintptr_t* end, bool* exited);
// Finds the next pthread_create before the bake starts, and keeps the allocations of OpenMP's
// runtime (libgomp) and of the dynamic loader out of the arena.
void prepare_threads();

// --- statics-linux.cc ---------------------------------------------------------------------

// Resolves the interposed C++ ABI functions before the bake starts (the lookups allocate).
void prepare_statics();
// The guards released and exit handlers registered while initializers ran, in order; false in
// *complete when there were more than the table holds.
const protocol::DumpStatic* recorded_statics(std::size_t* count, bool* complete);

// --- audit-linux.cc -----------------------------------------------------------------------

// Finds the wrapped functions before the bake starts, so the lookups allocate nothing in it.
void prepare_audit();

// --- loader-linux.cc ----------------------------------------------------------------------

// The value of root r from the image, or null when there is no usable image or no such root.
// The first call maps the image.
const void* image_root(const detail::root_base& r);
bool image_loaded();
// The value of r in a mapped image (the header at the start of its mapping), or null when the
// image has no root of r's name, size, alignment and type.
const void* root_in_image(const image::Header& h, const detail::root_base& r);

// Maps the image at `offset` (page-aligned) of fd, `size` bytes, and makes it usable: at its
// preferred base or, if that is taken or `anywhere`, elsewhere and moved; module pointers
// patched, globals restored, its memory kept from free(). Returns the image's header in the
// mapping, or null and why. `how` receives a short description for the log.
const image::Header* map_image_file(int fd, std::uint64_t offset, std::uint64_t size, bool anywhere, const char** why,
                                    char* how, std::size_t how_size);

// --- relocated-copy-linux.cc -------------------------------------------------------------------

// A relocated copy of an image's arena, for a randomized base: a page of header, then the arena
// relocated to the copy's base.
inline constexpr std::uint64_t kCopyArenaOffset = 4096;
// $XDG_RUNTIME_DIR/fastboot, created if missing, checked to be this user's alone: its fd, or -1
// and why not.
int copy_dir(const char** why);
// The copy's file name for this image: <program>-<build-id>.arena.
void copy_name(const image::Header& h, char* out, std::size_t size);
// The copy of this image made in this boot, opened and checked: its fd and base, or -1 and why
// not.
int open_copy(int dir, const char* name, const image::Header& h, std::uint64_t* base, const char** why);
// A random base for the arena (huge-page aligned, room for the tables below it), 0 if the
// kernel gives no random bytes.
std::uint64_t random_base(const image::Header& h);
// Writes the arena (already moved to `base`) as this boot's copy: into a temporary file, then
// renamed into place, replacing older copies of this program. False and why on failure (nothing
// is left behind).
bool write_copy(int dir, const char* name, const image::Header& h, std::uint64_t base, const unsigned char* arena,
                const char** why);

// --- private-files-linux.cc ------------------------------------------------------------------

// A directory that belongs to this user alone: owned by the effective user, writable by nobody
// else.
bool private_dir(int fd);
// A regular file of this user's that nobody else can write.
bool private_file(int fd);
// <program>: the executable's file name with anything but [A-Za-z0-9_.] made '_', at most 48
// characters, into out; the first piece of every file name the runtime writes.
void program_name(char* out, std::size_t size);
// <program>-<build-id in hex>: how every such file name starts, one per build of the program.
void build_file_name(char* out, std::size_t size, const std::uint8_t* build_id, unsigned build_id_size);
// Writes `count` pieces (bytes at file offsets) as file `name` in dir: into a temporary file,
// then renamed into place, so a file under that name is always complete. Within the file size
// limit, and without SIGBUS on a full disk. False and why on failure (nothing is left behind).
struct FilePiece {
  const void* data;
  std::uint64_t size, offset;
};
bool write_private_file(int dir, const char* name, const FilePiece* pieces, unsigned count, const char** why);
// Removes the files of other builds of this program: names "<program>-<build-id>..." with the same
// program, another build-id and `suffix`; and temporary files older than ten minutes that killed
// writers left.
void remove_other_builds(int dir, const char* name, const char* suffix);

// --- lazy-linux.cc -----------------------------------------------------------------------------

// Starts filling a compressed arena on first touch (userfaultfd), after checking every stored
// chunk's checksum: *started says whether it did (not where the kernel refuses this process
// userfaultfd); a reason when a chunk is damaged. From then on the runtime owns `stored` (the
// mapped chunks) and unmaps it when every chunk is filled.
const char* lazy_fill(const image::Header& h, const unsigned char* section, unsigned char* arena,
                      const unsigned char* stored, std::uint64_t stored_len, std::uint64_t delta, bool* started);
// Stops filling (the image is not used after all) and waits for the filling thread to end.
void lazy_cancel();
// Waits until every chunk is filled (before a fork, whose child would not see the rest).
void lazy_wait();

// --- workers-linux.cc -----------------------------------------------------------------------

// How many threads startup work may use: the CPUs this process may run on, at most 16, or
// FASTBOOT_THREADS.
unsigned startup_threads();
// Runs fn(0) .. fn(count - 1) on up to `threads` threads, the caller's included, and returns
// when all are done; returns how many threads ran them.
unsigned run_tasks(unsigned count, unsigned threads, void (*fn)(unsigned task, void* arg), void* arg);

// --- modules-linux.cc -----------------------------------------------------------------------

struct ModuleInfo {
  const char* name;
  std::uintptr_t bias;
  const void* phdrs;  // ElfW(Phdr)*
  unsigned phnum;
  bool is_executable;
};
// Calls fn for every loaded module, the executable first. fn returns false to stop.
void for_each_module(bool (*fn)(const ModuleInfo&, void*), void* arg);
// The GNU build-id of a module, copied into out (at most 32 bytes); returns its size, 0 if none.
unsigned module_build_id(const ModuleInfo& m, std::uint8_t* out);

// An environment variable that is set, not empty and not "0".
bool env_flag(const char* name);
// A monotonic clock, in microseconds.
double now_us();
// Reads exactly n bytes at off; false on a short read or an error.
bool read_at(int fd, void* out, std::size_t n, std::uint64_t off);

// Writes a message to stderr without allocating.
void say(const char* a, const char* b = "", const char* c = "", const char* d = "");

}  // namespace fastboot::rt
