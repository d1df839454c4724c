// Compaction: the image keeps only what the baked program can reach. Reachable allocations are
// packed in order (each keeps the alignment it asked for), and every arena pointer, module
// pointer, root and restored global is moved to the new offsets. Freed memory and allocations
// no root or global reaches (a library's scratch state, temporaries) are dropped.
#pragma once

#include <cstdint>
#include <vector>

#include "context.h"
#include "diff.h"
#include "dump.h"
#include "globals.h"
#include "match.h"
#include "reach.h"

namespace fastboot::baker {

struct CompactionStats {
  std::uint64_t arena_before = 0, arena_after = 0;
  std::uint64_t live_bytes = 0;  // sum of the kept allocations' sizes
  std::uint64_t dropped_allocations = 0;
};

// Rewrites a's arena, allocations and roots, c's bitmap and module pointers, and the globals'
// targets, in place. With `match` (the runs' threads allocated in different orders), the kept
// allocations are laid out in the order the match reached them, which is the same in every bake.
CompactionStats compact(Context& ctx, Dump& a, Classification& c, std::vector<GlobalRestore>& globals,
                        const Reachability& reach, const HeapMatch* match = nullptr);

}  // namespace fastboot::baker
