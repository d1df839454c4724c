// The baker's check of its own output, on a real baked executable from this build.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include "attach.h"
#include "verify.h"

namespace fastboot::baker {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

class Verify : public ::testing::Test {
 protected:
  void SetUp() override {
    exe = FASTBOOT_TEST_BAKED_EXE;
    Context ctx{Options{}};
    auto info_or = read_executable(ctx, exe);
    ASSERT_TRUE(info_or.has_value());
    info = *info_or;
    ASSERT_TRUE(info.has_image);
    bytes = read_bytes(exe);
    image.assign(bytes.begin() + long(info.image_offset), bytes.begin() + long(info.image_offset + info.image_size));
    section = split(image);
    copy = (fs::temp_directory_path() / ("fastboot-verify-" + std::to_string(getpid()))).string();
  }
  void TearDown() override { fs::remove(copy); }
  std::string exe, copy;
  ExecutableInfo info;
  std::vector<std::uint8_t> bytes, image;
  SectionImage section;  // the image as the bake holds it: the tables, then the arena apart

  static SectionImage split(const std::vector<std::uint8_t>& image) {
    fastboot::image::Header h;
    std::memcpy(&h, image.data(), sizeof(h));
    SectionImage s;
    s.head.assign(image.begin(), image.begin() + long(h.arena_offset));
    s.arena.assign(image.begin() + long(h.arena_offset), image.begin() + long(h.arena_offset + h.arena_size));
    s.size = image.size();
    return s;
  }
};

TEST_F(Verify, BakedExecutableMatchesItself) {
  Context ctx{Options{}};
  verify_baked(ctx, exe, exe, section);
  EXPECT_TRUE(ctx.errors.empty()) << ctx.errors.front();
  EXPECT_EQ(info.image_offset % 4096, 0u);
  EXPECT_FALSE(info.build_id.empty());
}

TEST_F(Verify, ChangedLoadableByteIsCaught) {
  auto changed = bytes;
  std::uint64_t code = info.loads.at(1).offset + 16;  // inside the second segment (code)
  changed[code] ^= 0xff;
  write_bytes(copy, changed);
  Context ctx{Options{}};
  verify_baked(ctx, exe, copy, section);
  ASSERT_EQ(ctx.errors.size(), 1u);
  EXPECT_NE(ctx.errors[0].find("differs from the executable that was baked"), std::string::npos) << ctx.errors[0];
}

TEST_F(Verify, ImageThatIsNotTheOneWrittenIsCaught) {
  ASSERT_FALSE(section.arena.empty());
  // A byte of the tables, of the arena, of the zeros after it, changed in the executable.
  for (std::uint64_t at : {std::uint64_t(100), section.head.size(), section.head.size() + section.arena.size()}) {
    if (at >= image.size()) continue;
    auto changed = bytes;
    changed[info.image_offset + at] ^= 1;
    write_bytes(copy, changed);
    Context ctx{Options{}};
    verify_baked(ctx, exe, copy, section);
    ASSERT_EQ(ctx.errors.size(), 1u) << at;
    EXPECT_NE(ctx.errors[0].find("does not hold the image that was written"), std::string::npos);
  }
}

TEST_F(Verify, BuildIdPatchRoundTrips) {
  write_bytes(copy, bytes);
  std::vector<std::uint8_t> id(info.build_id.size(), 0xab);
  Context ctx{Options{}};
  patch_build_id(ctx, copy, info, id);
  auto patched = read_executable(ctx, copy);
  ASSERT_TRUE(ctx.errors.empty());
  EXPECT_EQ(patched->build_id, id);
}

// Writing an image into a linked executable (what replaces the second link): into the sections
// the link already has, and into one that has none (new section headers at the end).
TEST_F(Verify, AttachedImageIsFoundAndMovesNothingLoadable) {
  for (const std::string& target : {exe, std::string("/proc/self/exe")}) {
    Context ctx{Options{}};
    std::vector<std::uint8_t> report{'r', 'e', 'p', 'o', 'r', 't'};
    ASSERT_EQ(attach_image(ctx, target, copy, section, report), "") << target;
    auto attached = read_executable(ctx, copy);
    ASSERT_TRUE(attached.has_value()) << target;
    ASSERT_TRUE(attached->has_image) << target;
    EXPECT_EQ(attached->image_offset % 4096, 0u);
    std::vector<std::uint8_t> out = read_bytes(copy);
    EXPECT_TRUE(std::equal(image.begin(), image.end(), out.begin() + long(attached->image_offset))) << target;
    verify_baked(ctx, target, copy, section);
    EXPECT_TRUE(ctx.errors.empty()) << target << ": " << (ctx.errors.empty() ? "" : ctx.errors.front());
    EXPECT_EQ(fs::status(copy).permissions(), fs::status(target).permissions());
  }
}

TEST_F(Verify, AttachingToSomethingElseLeavesNothing) {
  Context ctx{Options{}};
  std::string text = copy + ".txt";
  std::ofstream(text) << "not an executable";
  EXPECT_EQ(attach_image(ctx, text, copy, section, {}), "not a 64-bit little-endian ELF file");
  EXPECT_FALSE(fs::exists(copy));
  fs::remove(text);
}

}  // namespace
}  // namespace fastboot::baker
