// Writes the image as an ELF relocatable object holding a non-allocated, page-aligned section
// `.fastboot`, for the linker to place in the final executable, and the bake report in a
// non-allocated `.fastboot.report` (never mapped at run time; read by `fastboot-bake inspect`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"
#include "image-writer.h"

namespace fastboot::baker {

void write_image_object(Context& ctx, const SectionImage& image, const std::vector<std::uint8_t>& report,
                        const std::string& path);

}  // namespace fastboot::baker
