// COMPRESS: the arena as independent LZ4 or zstd chunks (image-format.h's ChunkEntry).
#pragma once

#include <cstdint>
#include <vector>

#include "context.h"
#include "fastboot/image-format.h"

namespace fastboot::baker {

void compress_arena(Context& ctx, image::Compression codec, const std::vector<std::uint8_t>& raw,
                    std::vector<image::ChunkEntry>* chunks, std::vector<std::uint8_t>* stored);

}  // namespace fastboot::baker
