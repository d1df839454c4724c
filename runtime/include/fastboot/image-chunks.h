// Decompressing one chunk of a compressed arena (Compression::lz4 or zstd), for the runtime's
// loader, `fastboot-bake verify` and the fuzzer alike. Chunks are independent, so any number of
// threads may decompress different ones at once.
#pragma once

#include <cstdint>

#include "fastboot/image-format.h"
#include "lz4frame.h"
#include "zstd.h"

namespace fastboot::image {

// Decompresses `chunk` from the stored bytes (those at arena_offset) into `out`, raw_size bytes,
// of a section whose tables passed validate_tables(). Writes nothing outside them whatever the
// stored bytes hold. Returns a reason, or null.
inline const char* decompress_chunk_into(std::uint32_t compression, const ChunkEntry& chunk,
                                         const unsigned char* stored, unsigned char* out) {
  const unsigned char* in = stored + chunk.stored_offset;
  if (compression == std::uint32_t(Compression::zstd)) {
    std::size_t n = ZSTD_decompress(out, chunk.raw_size, in, chunk.stored_size);
    return ZSTD_isError(n) || n != chunk.raw_size ? "the compressed arena is damaged" : nullptr;
  }
  if (compression == std::uint32_t(Compression::lz4)) {
    // An LZ4 frame whose blocks carry checksums of their stored bytes: damage is caught.
    LZ4F_dctx* dctx = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) return "out of memory decompressing";
    std::size_t in_left = chunk.stored_size, out_done = 0;
    const char* why = "the compressed arena is damaged";
    while (true) {
      std::size_t in_size = in_left, out_size = chunk.raw_size - out_done;
      std::size_t hint = LZ4F_decompress(dctx, out + out_done, &out_size, in, &in_size, nullptr);
      if (LZ4F_isError(hint)) break;
      in += in_size;
      in_left -= in_size;
      out_done += out_size;
      if (hint == 0) {  // the frame ended
        if (in_left == 0 && out_done == chunk.raw_size) why = nullptr;
        break;
      }
      if (in_size == 0 && out_size == 0) break;  // no progress: truncated
    }
    LZ4F_freeDecompressionContext(dctx);
    return why;
  }
  return "unknown compression";
}

// The same, into its place: arena + raw_offset.
inline const char* decompress_chunk(std::uint32_t compression, const ChunkEntry& chunk, const unsigned char* stored,
                                    unsigned char* arena) {
  return decompress_chunk_into(compression, chunk, stored, arena + chunk.raw_offset);
}

}  // namespace fastboot::image
