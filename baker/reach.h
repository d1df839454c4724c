// Which allocations the baked program can reach: from the roots' objects and from globals
// restored at startup, through arena pointers. Only reachable words need to be bakeable;
// allocations nobody can reach (a library's scratch state, a thread's bookkeeping) are dead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "diff.h"
#include "dump.h"

namespace fastboot::baker {

struct Reachability {
  static constexpr std::size_t kNone = ~std::size_t(0);
  struct Edge {
    std::size_t from = kNone;   // the allocation holding the pointer; kNone for a root or global
    std::uint64_t offset = 0;   // where in `from` the pointer is
    std::size_t global = kNone;  // from == kNone and not a root: the index of the global in `extra`
  };
  std::vector<bool> reached;  // per allocation
  std::vector<Edge> parent;   // per allocation: how it was first reached (a shortest path); only
                              // when asked for
  // What the globals in `extra` are, for diagnostics (filled by the caller; may be empty).
  std::vector<std::string> global_names;
};

// `extra` holds arena offsets that are pointed to from outside the arena (restored globals).
// With `paths`, also how each allocation was reached (Reachability::parent), which only errors
// print: recording it costs a write at a random place per allocation, and memory.
Reachability reachable_allocations(const Dump& a, const Classification& c,
                                   const std::vector<std::uint64_t>& extra, bool paths = false);
// Whether a word that cannot be relocated is reachable (then errors follow, with paths).
bool reaches_unbakeable(const Classification& c, const Reachability& reach);

// Whether a walk from `starts` (arena offsets), entering no allocation marked in `skip`, reaches
// an allocation marked in `targets`.
bool reaches_any(const Dump& a, const Classification& c, const std::vector<std::uint64_t>& starts,
                 const std::vector<bool>& skip, const std::vector<bool>& targets);

// Whether an unbakeable word the baked program would reach is reached only through an address
// that is both the end of one allocation and the start of the next (a full vector's end beside
// a block the program never pointed at, such as libc's dlerror result): a bake with a gap after
// every allocation (Options::arena_gaps) can then tell the two apart.
bool unbakeable_only_through_boundaries(const Dump& a, const Classification& c, const Reachability& reach,
                                        const std::vector<std::uint64_t>& extra);
// Thrown by a pipeline (bake, freeze) when the above holds, before the errors are printed: its
// caller runs it again with Options::arena_gaps.
struct TryWithGaps {};

}  // namespace fastboot::baker
