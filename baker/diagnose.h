// Turning classified words that cannot be baked into errors a user can act on.
#pragma once

#include "context.h"
#include "diff.h"
#include "dump.h"
#include "globals.h"
#include "reach.h"

namespace fastboot::baker {

// Errors for non-relocatable words in reachable allocations: one per allocation site and kind
// of value, with a count of the words like it and the path by which the baked program reaches
// it; at most opts.max_errors, then a count of the rest.
void report_unbakeable(Context& ctx, const Dump& a, const Classification& c, const Reachability& reach);

// Errors for baked pointers into state the bake itself initialized, one per piece of state,
// each naming the object that holds the first such pointer, its allocation site and its path.
void report_bake_state(Context& ctx, const Dump& a, const Reachability& reach,
                       const std::vector<BakeStatePointer>& found);

}  // namespace fastboot::baker
