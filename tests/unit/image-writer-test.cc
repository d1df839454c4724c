// The image layout: what the baker writes is what the runtime's checks expect.
#include <gtest/gtest.h>

#include <cstring>

#include "diff.h"
#include "fastboot/image-format.h"
#include "image-writer.h"
#include "resolve.h"
#include "test-dumps.h"

namespace fastboot::baker {
namespace {

using namespace testing;
namespace img = fastboot::image;

struct Written {
  std::vector<std::uint8_t> bytes;
  img::Header h;
  template <class T>
  const T* at(std::uint64_t off) const { return reinterpret_cast<const T*>(bytes.data() + off); }
};

Written write(TwoRuns& r) {
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  Resolution res = resolve_modules(ctx, r.a, c);
  Written w{write_image(ctx, r.a, c, res, {}), {}};
  std::memcpy(&w.h, w.bytes.data(), sizeof(w.h));
  return w;
}

TEST(ImageWriter, HeaderIsConsistentAndChecksummed) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(24);
  r.set_arena_pointer(o, 8);
  r.set_exe_pointer(o + 8, 0x4040);
  r.set_data(o + 16, 99);
  Written w = write(r);
  const img::Header& h = w.h;
  EXPECT_EQ(std::memcmp(h.magic, img::kMagic, 8), 0);
  EXPECT_EQ(h.version, img::kImageVersion);
  EXPECT_EQ(h.header_checksum, img::header_checksum(h));
  EXPECT_EQ(h.section_size, w.bytes.size());
  EXPECT_EQ(h.section_size % img::kPageSize, 0u);
  EXPECT_EQ(h.arena_offset % img::kPageSize, 0u);
  EXPECT_EQ(h.preferred_base, kBaseA);
  EXPECT_EQ(h.arena_size, r.a.arena.size());
  EXPECT_EQ(h.tables_checksum, img::checksum(w.bytes.data() + h.roots_offset, h.relocs_offset - h.roots_offset));
  EXPECT_EQ(h.relocs_checksum, img::checksum(w.bytes.data() + h.relocs_offset, h.reloc_count * sizeof(img::ModuleReloc)));
  EXPECT_EQ(h.bitmap_checksum, img::checksum(w.bytes.data() + h.bitmap_offset, h.bitmap_size));
  EXPECT_EQ(h.bitmap_offset % 8, 0u);
  EXPECT_EQ(h.arena_checksum, img::checksum(w.bytes.data() + h.arena_offset, h.arena_size));
  EXPECT_EQ(h.build_id_size, 4u);
  EXPECT_EQ(h.arena_pointer_count, 1u);
}

TEST(ImageWriter, RelocationsAndRootsAreWhereTheHeaderSays) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(24);
  r.set_arena_pointer(o, 8);
  r.set_exe_pointer(o + 8, 0x4040);
  Written w = write(r);
  ASSERT_EQ(w.h.module_count, 1u);
  const auto* m = w.at<img::ModuleEntry>(w.h.modules_offset);
  EXPECT_EQ(m->kind, img::ModuleKind::executable);
  ASSERT_EQ(m->reloc_count, 1u);
  const auto* rel = w.at<img::ModuleReloc>(w.h.relocs_offset + m->first_reloc * sizeof(img::ModuleReloc));
  EXPECT_EQ(rel->arena_offset, o + 8);
  EXPECT_EQ(rel->target, 0x4040u);
  // Arena pointers keep the preferred base; module pointers are zero until startup.
  EXPECT_EQ(*w.at<std::uint64_t>(w.h.arena_offset + o), kBaseA + 8);
  EXPECT_EQ(*w.at<std::uint64_t>(w.h.arena_offset + o + 8), 0u);
  EXPECT_EQ(*w.at<std::uint64_t>(w.h.bitmap_offset), 1ull << (o / 8));
  ASSERT_EQ(w.h.root_count, 1u);
  const auto* root = w.at<img::RootEntry>(w.h.roots_offset);
  EXPECT_STREQ(w.at<char>(w.h.strings_offset + root->name_offset), "table");
  EXPECT_EQ(root->type_hash, 42u);
}

TEST(ImageWriter, SameInputSameBytes) {
  TwoRuns r1 = make_runs(), r2 = make_runs();
  for (TwoRuns* r : {&r1, &r2}) {
    std::uint64_t o = r->alloc(16);
    r->set_exe_pointer(o, 0x4100);
    r->set_arena_pointer(o + 8, 0);
  }
  r2.a.modules[0].bias += 0x10000;  // another ASLR draw for the same program
  for (auto& s : r2.a.modules[0].segments) s.start += 0x10000, s.end += 0x10000;
  r2.set(0, r2.a.modules[0].bias + 0x4100, kExeB + 0x4100);
  EXPECT_EQ(write(r1).bytes, write(r2).bytes);
}

}  // namespace
}  // namespace fastboot::baker
