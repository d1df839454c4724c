// Running the program in a baking process (the runtime's bake mode), twice.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "context.h"
#include "dump.h"

namespace fastboot::baker {

// Runs the program's initializers in two processes at arena bases opts.base_a and opts.base_b
// and reads their dumps, side by side. Records errors that name the failing root on any failure.
// With `same_inputs`, the two runs must have read the same files and environment variables.
std::optional<std::pair<Dump, Dump>> run_bakes(Context& ctx, const std::string& scratch_dir, bool same_inputs = false);

}  // namespace fastboot::baker
