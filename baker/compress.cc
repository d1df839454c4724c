// Compressing the arena for COMPRESS images (the baker's; the freezer stores arenas as they are).
#include "compress.h"

#include <lz4frame.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace fastboot::baker {

namespace img = fastboot::image;

// COMPRESS: the arena as independent chunks, compressed in parallel, one chunk per worker at a
// time, each with checksums so a damaged chunk is caught. LZ4 chunks are 256 KiB frames of one
// block with a checksum of its stored bytes (LZ4's window is 64 KiB: larger chunks would not
// compress better, and small ones are quick to decompress on first touch and spread evenly over
// the cores); zstd frames are 4 MiB, with a checksum of their content.
void compress_arena(Context& ctx, img::Compression codec, const std::vector<std::uint8_t>& raw,
                    std::vector<img::ChunkEntry>* chunks, std::vector<std::uint8_t>* stored) {
  Timer timer(ctx, "compress");
  const std::uint64_t chunk_size = codec == img::Compression::lz4 ? 256 << 10 : 4 << 20;
  std::size_t n = (raw.size() + chunk_size - 1) / chunk_size;
  std::vector<std::vector<std::uint8_t>> frames(n);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    LZ4F_preferences_t lz4{};
    lz4.frameInfo.blockSizeID = LZ4F_max256KB;
    lz4.frameInfo.blockMode = LZ4F_blockIndependent;
    lz4.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    lz4.compressionLevel = 4;  // LZ4HC: decompresses as fast as level 1, stores about 15% less
    for (std::size_t i; (i = next++) < n;) {
      std::size_t begin = i * chunk_size, size = std::min<std::size_t>(chunk_size, raw.size() - begin);
      if (codec == img::Compression::lz4) {
        lz4.frameInfo.contentSize = size;
        frames[i].resize(LZ4F_compressFrameBound(size, &lz4));
        std::size_t got = LZ4F_compressFrame(frames[i].data(), frames[i].size(), raw.data() + begin, size, &lz4);
        frames[i].resize(LZ4F_isError(got) ? 0 : got);
      } else {
        frames[i].resize(ZSTD_compressBound(size));
        std::size_t got = ZSTD_compress2(cctx, frames[i].data(), frames[i].size(), raw.data() + begin, size);
        frames[i].resize(ZSTD_isError(got) ? 0 : got);
      }
    }
    ZSTD_freeCCtx(cctx);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (std::size_t i = 0; i < n; ++i) {
    if (frames[i].empty()) {
      error(ctx) << "could not compress chunk " << i << " of the arena";
      continue;
    }
    std::uint64_t begin = i * chunk_size;
    chunks->push_back({stored->size(), frames[i].size(), begin, std::min<std::uint64_t>(chunk_size, raw.size() - begin),
                       img::chunk_checksum(frames[i].data(), frames[i].size())});
    stored->insert(stored->end(), frames[i].begin(), frames[i].end());
  }
}

}  // namespace fastboot::baker
