// The image helpers the runtime's loader runs on every core: relocation of an arena range and
// decompression of one chunk.
#include <gtest/gtest.h>
#include <lz4frame.h>
#include <zstd.h>

#include <cstring>
#include <random>
#include <vector>

#include "fastboot/image-chunks.h"
#include "fastboot/image-validate.h"

namespace img = fastboot::image;

namespace {

// A section of header, bitmap and arena (arena_offset 4096), every third word an arena pointer.
struct Section {
  std::vector<unsigned char> bytes;
  img::Header h{};
  explicit Section(std::uint64_t arena_size) {
    h.arena_size = arena_size;
    h.bitmap_offset = sizeof(img::Header);
    h.bitmap_size = (arena_size / 8 + 63) / 64 * 8;
    h.arena_offset = 4096 * ((h.bitmap_offset + h.bitmap_size + 4095) / 4096);
    bytes.assign(h.arena_offset + arena_size, 0);
    std::mt19937_64 rng(7);
    for (std::uint64_t w = 0; w < arena_size / 8; ++w) {
      std::uint64_t v = rng();
      std::memcpy(bytes.data() + h.arena_offset + w * 8, &v, 8);
      if (w % 3 == 0) bytes[h.bitmap_offset + w / 8] |= std::uint8_t(1u << (w % 8));
    }
  }
  unsigned char* data() { return bytes.data(); }
};

}  // namespace

TEST(RelocateArena, RangesInAnyPiecesEqualTheWholeArena) {
  const std::uint64_t size = 64 * 1024 + 8 * 37;  // not a whole bitmap word at the end
  Section whole(size), pieces(size);
  img::relocate_arena(whole.h, whole.data(), 0x1000);
  // Cuts at bitmap-word boundaries, inside bitmap words, and at unaligned byte offsets.
  const std::uint64_t cuts[] = {0, 8, 512, 520, 4096, 4100, 30000, 65536, size};
  for (std::size_t i = 0; i + 1 < std::size(cuts); ++i)
    img::relocate_arena(pieces.h, pieces.data(), 0x1000, cuts[i], cuts[i + 1]);
  EXPECT_EQ(whole.bytes, pieces.bytes);
  Section untouched(size);
  EXPECT_NE(whole.bytes, untouched.bytes);
}

TEST(RelocateArena, WritesOnlyInsideItsRange) {
  Section s(8192), before(8192);
  img::relocate_arena(s.h, s.data(), 0x1000, 1024, 2048);
  for (std::uint64_t off = 0; off < 8192; off += 8) {
    bool inside = off >= 1024 && off < 2048;
    bool pointer = (off / 8) % 3 == 0;
    bool same = std::memcmp(s.data() + s.h.arena_offset + off, before.data() + before.h.arena_offset + off, 8) == 0;
    EXPECT_EQ(same, !(inside && pointer)) << "word at " << off;
  }
}

namespace {

std::vector<unsigned char> lz4_frame(const std::vector<unsigned char>& raw) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max1MB;
  prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
  std::vector<unsigned char> out(LZ4F_compressFrameBound(raw.size(), &prefs));
  out.resize(LZ4F_compressFrame(out.data(), out.size(), raw.data(), raw.size(), &prefs));
  return out;
}

std::vector<unsigned char> sample(std::size_t n) {
  std::vector<unsigned char> raw(n);
  for (std::size_t i = 0; i < n; ++i) raw[i] = static_cast<unsigned char>((i * 7) % 251 ^ (i >> 10));
  return raw;
}

}  // namespace

TEST(DecompressChunk, Lz4FrameRoundTripsAndCatchesDamage) {
  auto raw = sample(300000);
  auto stored = lz4_frame(raw);
  img::ChunkEntry chunk{0, stored.size(), 0, raw.size()};
  std::vector<unsigned char> out(raw.size());
  EXPECT_EQ(img::decompress_chunk(std::uint32_t(img::Compression::lz4), chunk, stored.data(), out.data()), nullptr);
  EXPECT_EQ(out, raw);
  // A flipped byte inside the block fails its checksum; a cut frame or a wrong size is refused.
  auto damaged = stored;
  damaged[damaged.size() / 2] ^= 0x40;
  EXPECT_STREQ(img::decompress_chunk(std::uint32_t(img::Compression::lz4), chunk, damaged.data(), out.data()),
               "the compressed arena is damaged");
  img::ChunkEntry cut = chunk;
  cut.stored_size -= 9;
  EXPECT_STREQ(img::decompress_chunk(std::uint32_t(img::Compression::lz4), cut, stored.data(), out.data()),
               "the compressed arena is damaged");
  img::ChunkEntry longer = chunk;
  longer.raw_size -= 1;  // the frame holds more than the chunk entry says: nothing past it is written
  std::vector<unsigned char> small(raw.size() - 1);
  EXPECT_STREQ(img::decompress_chunk(std::uint32_t(img::Compression::lz4), longer, stored.data(), small.data()),
               "the compressed arena is damaged");
}

TEST(DecompressChunk, ZstdFrameRoundTrips) {
  auto raw = sample(200000);
  std::vector<unsigned char> stored(ZSTD_compressBound(raw.size()));
  stored.resize(ZSTD_compress(stored.data(), stored.size(), raw.data(), raw.size(), 3));
  img::ChunkEntry chunk{0, stored.size(), 0, raw.size()};
  std::vector<unsigned char> out(raw.size());
  EXPECT_EQ(img::decompress_chunk(std::uint32_t(img::Compression::zstd), chunk, stored.data(), out.data()), nullptr);
  EXPECT_EQ(out, raw);
  EXPECT_STREQ(img::decompress_chunk(7, chunk, stored.data(), out.data()), "unknown compression");
}
