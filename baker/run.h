// Running the program in a baking process (the runtime's bake mode), twice.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "context.h"
#include "dump.h"

namespace fastboot::baker {

// Runs the program's initializers in two processes at arena bases opts.base_a and opts.base_b
// and reads their dumps. Records errors that name the failing root on any failure. The runs are
// parallel; with `between_runs`, the second starts after the first has ended and between_runs
// has seen its audit in ctx.audit.
std::optional<std::pair<Dump, Dump>> run_bakes(Context& ctx, const std::string& scratch_dir,
                                               const std::function<void(Context&)>& between_runs = {});

}  // namespace fastboot::baker
