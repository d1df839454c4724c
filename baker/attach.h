// Adding the image to the executable the first link made, without a second link: the image and
// the bake report become the contents of the `.fastboot` and `.fastboot.report` sections,
// written at the end of the file. Both sections are non-allocated, so no loadable byte, program
// header or other section moves, and the build-id (a hash the linker made of the first link's
// output) is still that of the code that runs. verify_baked() proves the loadable part.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"
#include "image-writer.h"

namespace fastboot::baker {

// Writes `output` as a copy of `unbaked` holding `image` and `report`. Returns an empty string,
// or why it could not (an ELF file it does not handle: not 64-bit little-endian, or with more
// sections than the header can count); then nothing is left at `output`.
std::string attach_image(Context& ctx, const std::string& unbaked, const std::string& output,
                         const SectionImage& image, const std::vector<std::uint8_t>& report);

}  // namespace fastboot::baker
