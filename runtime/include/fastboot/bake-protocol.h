// How the baker talks to the program it bakes. The baker starts the program with these
// environment variables; the runtime (runtime/src/bake-linux.cc) runs the roots' initializers
// into an arena and writes a dump file; the baker (baker/dump.cc) reads two such dumps.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastboot::protocol {

inline constexpr const char* kEnvOutput = "FASTBOOT_BAKE_OUTPUT";  // dump file to write
inline constexpr const char* kEnvBase = "FASTBOOT_BAKE_BASE";      // arena base, hex
inline constexpr const char* kEnvTrace = "FASTBOOT_BAKE_TRACE";    // progress file, appended
// The number of a descriptor the baker opened for the run: a memory file (memfd) that becomes
// the arena and its allocation records (the layout below), so that the baker reads them where
// the run left them, with no copy through a file.
inline constexpr const char* kEnvMemory = "FASTBOOT_BAKE_MEMORY";
// Where the initializers' stack (and the baking thread's thread-local storage) lives, hex: the
// same address in both runs, so leftovers of stack addresses in padding agree between them.
inline constexpr const char* kEnvStack = "FASTBOOT_BAKE_STACK";
// This run's offset modulo 32 for allocations made once the initializers started threads, hex.
inline constexpr const char* kEnvSkew = "FASTBOOT_BAKE_SKEW";
// Set: leave a gap after every allocation, so no address is both the end of one and the start of
// the next (the baker sets it when such an address led its reach to an unbakeable block).
inline constexpr const char* kEnvGaps = "FASTBOOT_BAKE_GAPS";
// The arena's address space in bytes, hex, a power of two from kMinArenaReserve to 128 GiB
// (unset: 128 GiB). The baker asks for less under an emulator, which keeps state for every page
// of a mapping (qemu-user: about 6 MiB and 8 ms per GiB reserved).
inline constexpr const char* kEnvReserve = "FASTBOOT_BAKE_RESERVE";
inline constexpr std::uint64_t kMinArenaReserve = std::uint64_t(1) << 30;
// Set (the freezer's runs): clear the stack below every allocation and free, as a frozen root's
// first run does, so that the leftovers of the allocator's frames an initializer may copy into
// its value are the same in both, though each allocates with another allocator.
inline constexpr const char* kEnvClearBelow = "FASTBOOT_BAKE_CLEAR_BELOW";
// Bake only the frozen root of this name (the freezer's bake runs); unset: every root.
inline constexpr const char* kEnvRoot = "FASTBOOT_BAKE_ROOT";
// With a frozen map's name in kEnvRoot: the key whose value to build.
inline constexpr const char* kEnvKey = "FASTBOOT_BAKE_KEY";
inline constexpr std::uint64_t kBakeStackSize = std::uint64_t(1) << 30;  // reserved, not committed

// Trace lines, one per event: "begin <root>", "end <root>", "throw <root>\t<what>",
// "fd <root>\t<number>\t<path>" (a descriptor the initializer left open), "error <message>".
// A crash or exit leaves a "begin" without its "end".

// Exit codes of a baking process.
inline constexpr int kExitOk = 0;
inline constexpr int kExitSetup = 90;   // bad environment, arena not mappable, duplicate names
inline constexpr int kExitThrow = 91;   // an initializer threw

inline constexpr char kDumpMagic[8] = {'F', 'B', 'D', 'U', 'M', 'P', '0', '7'};

// The dump: [DumpHeader][DumpRoot × root_count]
//           [DumpModule × module_count][DumpSegment × segment_count]
//           [DumpGlobal × global_count][strings][maps text][DumpRegion × region_count]
//           [DumpStack × stack_count][DumpStatic × static_count][site × site_count]
// Sites are the return addresses of the allocating calls (8 bytes each), which allocations
// name by index; index 0 is no site (address 0).
// The arena is split into regions (the baking thread's, then one per thread the initializers
// started); the dump lists each region that holds anything. Their bytes and allocation records
// stay in the run's memory file (kEnvMemory): arena offset x at file offset x, and each region's
// records (DumpAlloc, sorted by offset) at DumpRegion::records_offset.
// Threads the initializers start whose allocations a bake captures, each in an arena region
// of its own, in the order they start; a later thread allocates from the system allocator.
inline constexpr unsigned kCapturedThreads = 128;

struct DumpHeader {
  char magic[8];
  std::uint64_t arena_base;     // address of arena byte 0 in this run
  std::uint64_t arena_size;     // bytes written (the regions' used bytes)
  std::uint64_t alloc_count;
  std::uint64_t root_count;
  std::uint64_t module_count;
  std::uint64_t segment_count;
  std::uint64_t strings_size;
  std::uint64_t global_count;
  std::uint64_t maps_size;  // bytes of /proc/self/maps, read at the end of the bake
  std::uint64_t region_count;
  std::uint64_t threads_started;  // by the initializers, during the bake
  std::uint64_t stack_count;      // DumpStack entries: the stacks of those threads
  std::uint64_t static_count;     // DumpStatic entries
  std::uint64_t statics_complete; // 1: every guard and handler was recorded (the table has room)
  std::uint64_t site_count;       // allocation sites
};
static_assert(sizeof(DumpHeader) == 128);

// A function-local static constructed, or an exit handler registered, while the initializers
// ran (runtime/src/statics-linux.cc), in the order it happened. fn == 0: the static guarded by
// `guard` was constructed. Otherwise __cxa_atexit(fn, obj, dso) was called, while the static
// guarded by `guard` was being constructed (0: none was).
struct DumpStatic {
  std::uint64_t guard;
  std::uint64_t fn, obj, dso;
};
static_assert(sizeof(DumpStatic) == 32);

// The stack (with its thread-local storage, which glibc keeps at the stack's top) of a thread
// the initializers started, numbered from 1 in start order.
struct DumpStack {
  std::uint64_t thread;
  std::uint64_t start, end;
  std::uint32_t exited;  // its function had returned when the dump was written
  std::uint32_t reserved;
};
static_assert(sizeof(DumpStack) == 32);

struct DumpRegion {
  std::uint64_t offset;          // of the region's first byte in the arena (and the memory file)
  std::uint64_t size;            // bytes used; arena_size is the sum over the regions
  std::uint64_t alloc_count;     // its allocations; alloc_count is the sum over the regions
  std::uint64_t records_offset;  // of its first DumpAlloc in the memory file
};
static_assert(sizeof(DumpRegion) == 32);

// DumpAlloc::flags: bits 0-1 as below; bits 2-7 hold log2 of the alignment the allocation asked
// for (at least 16), which compaction keeps; bits 8-9 are the baker's own.
enum : std::uint32_t { kAllocFreed = 1, kAllocRootObject = 2, kAllocAlignShift = 2 };
inline std::uint64_t alloc_alignment(std::uint32_t flags) { return std::uint64_t(1) << ((flags >> kAllocAlignShift) & 0x3f); }

// One allocation of a bake run, 16 bytes: a heap of small objects has as many records as
// objects, so they are as packed as the arena allows (256 GiB, more than its 128 GiB), with the
// allocating call's address as an index into the dump's sites.
inline constexpr unsigned kAllocOffsetBits = 38, kAllocRootBits = 16, kAllocSiteBits = 26;
inline constexpr std::uint64_t kMaxRoots = std::uint64_t(1) << kAllocRootBits;
inline constexpr std::uint64_t kMaxAllocSites = std::uint64_t(1) << kAllocSiteBits;
struct DumpAlloc {
  std::uint64_t offset : kAllocOffsetBits;  // into the arena
  std::uint64_t flags : 10;                 // kAllocFreed, kAllocRootObject, the alignment
  std::uint64_t root : kAllocRootBits;      // index of the root whose initializer was running
  std::uint64_t size : kAllocOffsetBits;    // bytes requested
  std::uint64_t site : kAllocSiteBits;      // index into the dump's sites
};
static_assert(sizeof(DumpAlloc) == 16);

struct DumpRoot {
  std::uint64_t name_offset;  // into strings
  std::uint64_t object_offset;
  std::uint64_t size;
  std::uint64_t align;
  std::uint64_t type_hash;
};
static_assert(sizeof(DumpRoot) == 40);

struct DumpModule {
  std::uint64_t name_offset;    // into strings; the executable's is its path
  std::uint64_t bias;           // load bias (dlpi_addr)
  std::uint64_t first_segment;  // index into DumpSegment[]
  std::uint32_t segment_count;
  std::uint32_t is_executable;
  std::uint32_t build_id_size;
  std::uint8_t build_id[32];
  std::uint32_t reserved;
};
static_assert(sizeof(DumpModule) == 72);

struct DumpSegment {  // a PT_LOAD segment, as mapped in this run
  std::uint64_t start;
  std::uint64_t end;
  std::uint64_t flags;  // PF_R | PF_W | PF_X
};
static_assert(sizeof(DumpSegment) == 24);

// A word of a module's writable data (a global) that the initializers changed.
struct DumpGlobal {
  std::uint64_t module;  // index into DumpModule[]
  std::uint64_t offset;  // address relative to the module's load bias
  std::uint64_t before;  // value before the first initializer ran
  std::uint64_t after;   // value after the last one
};
static_assert(sizeof(DumpGlobal) == 32);

// What a frozen root's first run built (runtime/src/first-run-linux.cc), for the freezer to
// compare with the value it builds itself in a fresh process (baker/first-run.cc): the objects
// the value reaches, breadth first from the root's own object, each with its size, its bytes,
// and its pointers, each to an object of the list (by index) or into a module (by name); and
// where that process had addresses, to tell leftovers of them. An image is made only when the
// freezer's run built the same value.
//   [FirstRunHeader][FirstRunModule × module_count][FirstRunObject × object_count]
//   [pointers: pointers_size bytes][AddressRange × range_count][strings][bytes]
// An object's pointers are a run of unsigned LEB128 numbers at its pointers_offset: how many,
// then for each, in word order: the word's index less the previous pointer's word (the first:
// the index itself), the target (an object's index × 2, or a module's index × 2 + 1), the offset
// (from the object's start, at most its size, or from the module's bias) and the word's upper 16
// bits (a tagged pointer's tag, else 0). Most pointers take 4 to 6 bytes instead of 24; the
// freezer reads them in place. Objects' bytes follow each other, each at a multiple of 8.
inline constexpr char kFirstRunMagic[8] = {'F', 'B', 'F', 'I', 'R', 'S', 'T', '3'};
struct FirstRunHeader {
  char magic[8];
  std::uint64_t module_count, object_count, pointers_size, range_count, strings_size, bytes_size;
};
static_assert(sizeof(FirstRunHeader) == 56);
struct FirstRunModule {
  std::uint64_t name_offset;  // into strings; the executable's is empty
  std::uint64_t is_executable;
};
static_assert(sizeof(FirstRunModule) == 16);
struct FirstRunObject {
  std::uint64_t size;             // bytes requested (the root's own object: sizeof its type)
  std::uint64_t pointers_offset;  // of its pointers, into the pointers
};
static_assert(sizeof(FirstRunObject) == 16);
// Where addresses are in a process: its modules, its heap, its stacks.
inline constexpr std::uint64_t kModuleRange = 0, kStackRange = 1, kHeapRange = 2;
struct AddressRange {
  std::uint64_t lo, hi;
  std::uint64_t kind;  // kModuleRange, kStackRange, kHeapRange
};
static_assert(sizeof(AddressRange) == 24);

// The freezer: the image of one frozen root, made in a program's background process by the
// baker's passes (fastboot-freezer.o in the runtime archive, linked only into programs that
// declare a frozen root).
// The runtime owns the files and the cache; the freezer runs the two bake runs and the passes.
struct FreezeJob {
  const char* program;     // the executable, as a path both bake runs can start
  const char* root;        // the frozen root to build
  const char* key;         // a frozen map's key, or null
  const char* scratch;     // a private directory for the runs' dumps and traces
  std::uint64_t base_a, base_b, stack_base;  // the runs' arena bases and stack
  std::uint64_t image_base;                  // the image's preferred base
  // What the program's own run built (a FirstRun file's bytes), or null: the image is made only
  // if this job's run builds the same value.
  const unsigned char* first_run;
  std::uint64_t first_run_size;
  void* arg;               // passed to the calls below
  // After both runs (side by side): each input they read ("file" with an absolute path,
  // "environment" with a variable's name, "cwd" with an empty name when a path was relative),
  // for the runtime to record how they are now, and for a file the state the runs saw just
  // before each open (null for other inputs): a file whose state now is another changed while
  // the runs read it. Returns false to give up (an input that changed, or that cannot be
  // checked later); *why says why.
  bool (*inputs_seen)(void* arg, std::size_t count, const char* const* kinds, const char* const* names,
                      const char* const* at_open, const char** why);
  // Exactly one of these is called: with the image, or with why there is none and whether that
  // lasts (a value that cannot be baked) or may pass (a full disk, a killed run), and whether it
  // depends on the program's own run (its input, what main set), so that it holds whatever main
  // sets. The image comes in two parts, valid during the call only: the bytes before its arena,
  // then the arena; it is `size` bytes, zeros after the arena.
  void (*image)(void* arg, const unsigned char* head, std::uint64_t head_size, const unsigned char* arena,
                std::uint64_t arena_size, std::uint64_t size);
  void (*refused)(void* arg, const char* why, bool lasting, bool depends_on_run);
};

}  // namespace fastboot::protocol

// Runs a FreezeJob; defined by fastboot-freezer.o.
extern "C" void fastboot_freeze_image(const fastboot::protocol::FreezeJob* job);
