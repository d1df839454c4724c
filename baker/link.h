// `fastboot-bake link -- <link command>`: the linker launcher that CMake's fastboot_bake()
// installs on a target. Links, bakes the result, and links again with the image.
#pragma once

#include <string>
#include <vector>

#include "context.h"

namespace fastboot::baker {

// Returns the process exit code: the linker's when the link itself fails, 1 when the bake
// fails (and no executable is left behind), 0 on success.
int link_and_bake(Context& ctx, const std::vector<std::string>& command);

// Runs a command, inheriting stdio; returns its exit status (128+signal if killed).
int run_command(const std::vector<std::string>& command);

}  // namespace fastboot::baker
