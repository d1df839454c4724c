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

// The same image in two parts, with no copy of the arena: `head` is everything before it (header,
// tables, bitmap, up to the arena's page), and the arena is laid out where it is, in a.arena,
// which it overwrites. Uncompressed only; the freezer writes the parts to its file one after the
// other.
struct ImageParts {
  std::vector<std::uint8_t> head;
  const std::uint8_t* arena = nullptr;
  std::uint64_t arena_size = 0;
  std::uint64_t section_size = 0;  // head, arena, and zeros to a page
};
ImageParts write_image_in_place(Context& ctx, Dump& a, const Classification& c, const Resolution& r,
                                const std::vector<GlobalRestore>& globals);

}  // namespace fastboot::baker
