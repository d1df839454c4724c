// Turning classified words that cannot be baked into errors a user can act on.
#pragma once

#include "context.h"
#include "diff.h"
#include "dump.h"

namespace fastboot::baker {

// Errors for non-relocatable words in reachable allocations, capped at opts.max_errors and
// then counted.
void report_unbakeable(Context& ctx, const Dump& a, const Classification& c,
                       const std::vector<bool>& reachable);

}  // namespace fastboot::baker
