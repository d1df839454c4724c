// Lays out the image (runtime/include/fastboot/image-format.h) from a classified bake run.
#pragma once

#include <cstdint>
#include <vector>

#include "context.h"
#include "diff.h"
#include "dump.h"
#include "fastboot/image-format.h"
#include "globals.h"
#include "resolve.h"
#include "statics.h"

namespace fastboot::baker {

// Stores the arena compressed (compress.h), for opts.compress.
using Compressor = void (*)(Context&, image::Compression, const std::vector<std::uint8_t>& raw,
                            std::vector<image::ChunkEntry>* chunks, std::vector<std::uint8_t>* stored);

// The bytes of the .fastboot section. Arena pointers hold addresses at the preferred base (run
// A's, or opts.image_base); module pointers are zeroed, to be patched at startup.
std::vector<std::uint8_t> write_image(Context& ctx, const Dump& a, const Classification& c,
                                      const Resolution& r, const std::vector<GlobalRestore>& globals,
                                      Compressor compress = nullptr, const std::vector<ExitHandler>& exits = {});

// The .fastboot section's bytes: `head`, then `arena`, then zeros to `size`. Laid out in place,
// the arena is run A's own memory, moved here (a copy of a 400 MB arena cost a second and as
// much memory again); a compressed image is all head.
struct SectionImage {
  std::vector<std::uint8_t> head;
  Bytes arena;
  std::uint64_t size = 0;

  // Writes it at file offset `at` of fd, zeros included; false with errno on an error.
  bool write_to(int fd, std::uint64_t at) const;
  // Whether the `size` bytes at `bytes` are exactly it.
  bool equals(const unsigned char* bytes) const;
};

// The image, laid out in a.arena (which it takes) unless it is compressed.
SectionImage write_section(Context& ctx, Dump& a, const Classification& c, const Resolution& r,
                           const std::vector<GlobalRestore>& globals, Compressor compress = nullptr,
                           const std::vector<ExitHandler>& exits = {});

}  // namespace fastboot::baker
