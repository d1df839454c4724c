// A baking process's dump (see runtime/include/fastboot/bake-protocol.h), read into memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"
#include "fastboot/bake-protocol.h"
#include "fastboot/bits.h"
#include "mapped-array.h"

namespace fastboot::baker {

struct Segment {
  std::uint64_t start, end;  // [start, end) as mapped in that run
  std::uint64_t flags;
};

struct Module {
  std::string name;
  std::uint64_t bias = 0;
  bool is_executable = false;
  std::vector<std::uint8_t> build_id;
  std::vector<Segment> segments;
};

struct Root {
  std::string name;
  std::uint64_t object_offset, size, align, type_hash;
};

// A pointer with flags in its upper 16 bits (RapidJSON's, on x86-64, whose user addresses have
// 47 bits) is a tagged pointer: its address is the low 48 bits, and relocation, which adds a
// multiple of the page size to the whole word, keeps the tag.
inline constexpr std::uint64_t kAddressMask = (std::uint64_t(1) << 48) - 1;
inline std::uint64_t untagged(std::uint64_t v) { return v & kAddressMask; }
inline std::uint64_t tag_of(std::uint64_t v) { return v & ~kAddressMask; }
// Where an allocation's memory ends for a pointer into it: its size rounded up to the 16 bytes
// every allocation starts on, since a pointer may keep flags in low bits its object's own size
// does not cover (a 4-byte object tagged with 5, as malloc's alignment allows).
inline std::uint64_t alloc_end(const protocol::DumpAlloc& x) { return x.offset + ((x.size + 15) & ~std::uint64_t(15)); }

using Bytes = MappedArray<std::uint8_t>;
using Allocs = MappedArray<protocol::DumpAlloc>;

struct Dump {
  std::string path;
  std::uint64_t arena_base = 0;
  Allocs allocs;  // sorted by offset
  std::vector<Root> roots;
  std::vector<Module> modules;  // the executable first
  std::vector<protocol::DumpGlobal> globals;  // words of writable data the initializers changed
  struct Mapping {
    std::uint64_t start, end;
    std::string name;  // "[stack]", "[heap]", a path, or empty for anonymous memory
  };
  std::vector<Mapping> maps;  // the baking process's memory map at the end of the bake
  Bytes arena;
  std::uint64_t threads_started = 0;  // threads the initializers started
  // Arena offsets below this were allocated by the baking thread, the rest by threads the
  // initializers started (their regions follow the baking thread's).
  std::uint64_t baking_thread_end = 0;
  std::vector<protocol::DumpStack> thread_stacks;  // their stacks (and thread-local storage)
  // Function-local statics constructed and exit handlers registered while initializers ran.
  std::vector<protocol::DumpStatic> statics;
  bool statics_complete = true;
  std::vector<std::uint64_t> sites;  // allocation sites by number (DumpAlloc::site)

  // The address of the call that made an allocation, or 0 (none, or a number past the sites).
  std::uint64_t site_of(const protocol::DumpAlloc& x) const { return x.site < sites.size() ? sites[x.site] : 0; }
};

// Whether a word that holds va in run A and vb in run B is one pointer into the arena: inside
// run A's arena (one past the end included), with the same tag in both runs, and moved by
// exactly the arenas' shift. With both arenas at one base (an address-stable bake, see
// Options::address_stable) that is every equal word whose value lies in the arena: such
// pointers are told from data by range alone, as a module's are when it did not move.
inline bool arena_pointer(const Dump& a, const Dump& b, std::uint64_t va, std::uint64_t vb) {
  return vb - va == b.arena_base - a.arena_base && untagged(va) - a.arena_base <= a.arena.size() &&
         tag_of(va) == tag_of(vb);
}

// The module of a run whose segments hold `address`, or null.
const Module* module_holding(const Dump& run, std::uint64_t address);
// Whether `offset` (relative to m's load bias) lies in one of m's writable segments.
bool writable_at(const Module& m, std::uint64_t offset);

// Finds the allocation holding an arena offset in constant time. Allocations start on 16-byte
// granules, so a bit per granule where one starts, with the count of starts before every 64
// granules, gives the last allocation at or before an offset by counting bits: 1/16 of a byte
// per arena byte, small enough to stay in cache where a table of allocation indexes per bucket
// (1/16 of a byte per byte too, but read at random with the allocations after it) did not; with
// that table, finding targets was the slowest part of baking large heaps. A dump whose
// allocations do not all start on their own granule uses the table (its bucket_ below).
class AllocIndex {
 public:
  static constexpr std::size_t kNone = ~std::size_t(0);
  AllocIndex(const Allocs& allocs, std::uint64_t arena_size);
  // The last allocation whose offset is at or before t, or kNone.
  std::size_t at_or_before(std::uint64_t t) const {
    if (bucket_.empty()) {
      std::uint64_t g = t >> kGranuleShift, w = g >> 6;
      if (w >= starts_.size()) return allocs_.empty() ? kNone : allocs_.size() - 1;
      std::uint64_t count = before_[w] + std::uint64_t(bits_set(starts_[w] & (~0ull >> (63 - (g & 63)))));
      return count == 0 ? kNone : count - 1;
    }
    return at_or_before_by_bucket(t);
  }
  // Whether an allocation starts exactly at t, known from the index alone (no record read):
  // false when it cannot tell (an index by buckets) as when none starts there.
  bool starts_at(std::uint64_t t) const {
    if (!bucket_.empty() || (t & ((1u << kGranuleShift) - 1))) return false;
    std::uint64_t g = t >> kGranuleShift, w = g >> 6;
    return w < starts_.size() && (starts_[w] >> (g & 63) & 1);
  }

 private:
  static constexpr unsigned kGranuleShift = 4, kBucketShift = 6;
  std::size_t at_or_before_by_bucket(std::uint64_t t) const;
  const Allocs& allocs_;
  std::vector<std::uint64_t> starts_;  // a bit per granule where an allocation starts
  std::vector<std::uint32_t> before_;  // per word of starts_: the allocations starting before it
  std::vector<std::uint32_t> bucket_;  // without granules: per bucket, the allocations at or before it
};

// The arena of a dump comes as regions: the baking thread's, then one per thread the
// initializers started (see runtime/src/runtime.h). Makes d.arena one contiguous arena, each
// region at the next page boundary, and moves addresses, allocations and roots with them; false
// if the regions do not fit the dump. d.arena holds the regions' bytes one after another, or
// (laid_out) already at those page boundaries.
bool close_region_gaps(Dump& d, const std::vector<protocol::DumpRegion>& regions, bool laid_out = false);

// Reads and checks a dump, its arena and allocation records from the run's memory file
// (protocol::kEnvMemory, which the caller keeps and closes); records an error and returns
// nothing if they are malformed.
std::optional<Dump> read_dump(Context& ctx, const std::string& path, int memory_fd);

}  // namespace fastboot::baker
