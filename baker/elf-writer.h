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

// The machine the baker itself runs on (EM_X86_64, EM_AARCH64; a file's: object_machine()).
std::uint16_t native_machine();
// "x86-64", "aarch64", or "ELF machine <n>".
std::string machine_name(std::uint16_t machine);

// Writes an object file for `machine` whose .fastboot section holds the image.
void write_image_object(Context& ctx, std::uint16_t machine, const SectionImage& image,
                        const std::vector<std::uint8_t>& report, const std::string& path);

}  // namespace fastboot::baker
