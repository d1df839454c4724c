// The bake: from a linked program to the bytes of its image.
#pragma once

#include <cstdint>
#include <vector>

#include "context.h"

namespace fastboot::baker {

// Runs ctx.opts.program's initializers twice, classifies every word and lays out the image.
// Throws BakeFailed (after printing every error) when the result could not be correct.
std::vector<std::uint8_t> bake_image(Context& ctx);

// Prints the per-pass times collected in ctx (for --verbose).
void print_timings(const Context& ctx);

}  // namespace fastboot::baker
