// Which allocations the baked program can reach: from the roots' objects and from globals
// restored at startup, through arena pointers. Only reachable words need to be bakeable;
// allocations nobody can reach (a library's scratch state, a thread's bookkeeping) are dead.
#pragma once

#include <cstdint>
#include <vector>

#include "diff.h"
#include "dump.h"

namespace fastboot::baker {

// One flag per allocation of `a`. `extra` holds arena offsets that are pointed to from outside
// the arena (restored globals).
std::vector<bool> reachable_allocations(const Dump& a, const Classification& c,
                                        const std::vector<std::uint64_t>& extra);

}  // namespace fastboot::baker
