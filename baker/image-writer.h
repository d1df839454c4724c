// Lays out the image (runtime/include/fastboot/image-format.h) from a classified bake run.
#pragma once

#include <cstdint>
#include <vector>

#include "context.h"
#include "diff.h"
#include "dump.h"
#include "globals.h"
#include "resolve.h"

namespace fastboot::baker {

// The bytes of the .fastboot section. Arena pointers keep run A's addresses (the preferred
// base); module pointers are zeroed, to be patched at startup.
std::vector<std::uint8_t> write_image(Context& ctx, const Dump& a, const Classification& c,
                                      const Resolution& r, const std::vector<GlobalRestore>& globals);

}  // namespace fastboot::baker
