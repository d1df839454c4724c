// Writes the image as an ELF relocatable object holding one non-allocated, page-aligned
// section `.fastboot`, for the linker to place in the final executable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"

namespace fastboot::baker {

void write_image_object(Context& ctx, const std::vector<std::uint8_t>& image, const std::string& path);

}  // namespace fastboot::baker
