// Running the program in a baking process (the runtime's bake mode), twice.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "context.h"
#include "dump.h"

namespace fastboot::baker {

// Runs the program's initializers in two processes at arena bases opts.base_a and opts.base_b
// and reads their dumps. Records errors that name the failing root on any failure.
std::optional<std::pair<Dump, Dump>> run_bakes(Context& ctx, const std::string& scratch_dir);

}  // namespace fastboot::baker
