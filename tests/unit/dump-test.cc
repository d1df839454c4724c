// The regions of a dump's arena (the baking thread's, then each worker thread's) are put one
// after another, and every address moves with its region.
#include <gtest/gtest.h>

#include <cstring>

#include "dump.h"

namespace fastboot::baker {
namespace {

std::uint64_t word(const Dump& d, std::uint64_t off) {
  std::uint64_t v;
  std::memcpy(&v, d.arena.data() + off, 8);
  return v;
}

TEST(Regions, GapsCloseAndAddressesMove) {
  const std::uint64_t base = 0x7e8100000000, worker = std::uint64_t(64) << 30;
  Dump d;
  d.arena_base = base;
  // Region 0: 32 bytes, one allocation pointing into region 1. Region 1: 24 bytes at 64 GiB,
  // pointing back at region 0 and one past its own end.
  d.arena.assign(32 + 24, 0);
  std::uint64_t to_worker = base + worker + 8, to_main = base + 16, end = base + worker + 24, data = 12345;
  std::memcpy(d.arena.data() + 0, &to_worker, 8);
  std::memcpy(d.arena.data() + 8, &data, 8);
  std::memcpy(d.arena.data() + 32, &to_main, 8);
  std::memcpy(d.arena.data() + 40, &end, 8);
  d.allocs = {{0, 32, 0, 0, 0}, {worker, 24, 0, 0, 0}};
  d.roots = {{"r", 0, 32, 8, 1}};
  d.globals = {{0, 0x100, 0, base + worker}};
  ASSERT_TRUE(close_region_gaps(d, {{0, 32}, {worker, 24}}));
  ASSERT_EQ(d.arena.size(), 4096u + 4096u);
  EXPECT_EQ(word(d, 0), base + 4096 + 8);
  EXPECT_EQ(word(d, 8), 12345u);
  EXPECT_EQ(word(d, 4096), base + 16);
  EXPECT_EQ(word(d, 4096 + 8), base + 4096 + 24);
  EXPECT_EQ(d.allocs[1].offset, 4096u);
  EXPECT_EQ(d.globals[0].after, base + 4096);
}

TEST(Regions, OneRegionIsLeftAlone) {
  Dump d;
  d.arena_base = 0x7e8100000000;
  d.arena.assign(16, 7);
  EXPECT_TRUE(close_region_gaps(d, {{0, 16}}));
  EXPECT_EQ(d.arena.size(), 16u);
  EXPECT_FALSE(close_region_gaps(d, {{0, 8}}));  // the regions must account for every byte
}

}  // namespace
}  // namespace fastboot::baker
