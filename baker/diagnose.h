// Turning classified words that cannot be baked into errors a user can act on.
#pragma once

#include "context.h"
#include "diff.h"
#include "dump.h"

namespace fastboot::baker {

// Errors for non-relocatable words in reachable allocations, capped at opts.max_errors and
// then counted. Words that differ only in bytes no program reads (padding, unused union
// storage: see padding.h) are not errors; their differing bytes are zeroed in a's arena.
void report_unbakeable(Context& ctx, Dump& a, const Classification& c,
                       const std::vector<bool>& reachable);

}  // namespace fastboot::baker
