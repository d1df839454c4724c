// Compaction drops what the roots cannot reach and moves every pointer with what it targets.
#include <gtest/gtest.h>

#include <cstring>

#include "compact.h"
#include "diff.h"
#include "reach.h"
#include "test-dumps.h"

namespace fastboot::baker {
namespace {

using namespace testing;

std::uint64_t word(const Dump& d, std::uint64_t off) {
  std::uint64_t v;
  std::memcpy(&v, d.arena.data() + off, 8);
  return v;
}

// A word taken for an arena pointer may carry a real byte in its lowest bits (a bool written over
// leftover pointer bytes): compaction moves allocations by multiples of 256, never changing it.
TEST(Compact, MovesByMultiplesOf256) {
  TwoRuns r = make_runs();
  std::uint64_t root = r.alloc(16);
  r.alloc(300);  // dropped: the allocation after it starts 304 bytes later
  std::uint64_t live = r.alloc(32);
  r.set_arena_pointer(root, live + 1);  // looks like an interior pointer; its low byte is a bool
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  Reachability reach = reachable_allocations(r.a, c, {});
  std::vector<GlobalRestore> globals;
  CompactionStats stats = compact(ctx, r.a, c, globals, reach);
  EXPECT_TRUE(ctx.errors.empty());
  EXPECT_EQ(stats.dropped_allocations, 1u);
  ASSERT_EQ(r.a.allocs.size(), 2u);
  EXPECT_EQ(r.a.allocs[1].offset, live - 256);
  EXPECT_EQ(word(r.a, 0) & 0xff, (kBaseA + live + 1) & 0xff);
}

TEST(Compact, DropsUnreachableAndMovesPointers) {
  TwoRuns r = make_runs();
  std::uint64_t root = r.alloc(16);  // the root "table" at offset 0
  std::uint64_t dead = r.alloc(256);  // nothing points here
  std::uint64_t live = r.alloc(32);
  r.set_arena_pointer(root, live + 8);  // an interior pointer
  r.set_exe_pointer(root + 8, 0x4100);
  r.set_arena_pointer(live, live + 32);  // one past its own end
  r.set_data(dead, 12345);
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  Reachability reach = reachable_allocations(r.a, c, {});
  ASSERT_FALSE(reach.reached[1]);
  std::vector<GlobalRestore> globals{{0, 0x3000, live + 16}};
  CompactionStats stats = compact(ctx, r.a, c, globals, reach);
  EXPECT_TRUE(ctx.errors.empty());
  EXPECT_EQ(stats.dropped_allocations, 1u);
  EXPECT_EQ(stats.live_bytes, 48u);
  ASSERT_EQ(r.a.allocs.size(), 2u);
  EXPECT_EQ(r.a.allocs[1].offset, 16u);  // moved down over the dropped allocation
  EXPECT_EQ(r.a.arena.size(), 48u);
  EXPECT_EQ(word(r.a, 0), kBaseA + 16 + 8);
  EXPECT_EQ(word(r.a, 16), kBaseA + 16 + 32);
  EXPECT_EQ(c.arena_pointers, 2u);
  EXPECT_EQ(c.bitmap[0], (1ull << 0) | (1ull << 2));
  ASSERT_EQ(c.module_pointers.size(), 1u);
  EXPECT_EQ(c.module_pointers[0].arena_offset, 8u);
  EXPECT_EQ(r.a.roots[0].object_offset, 0u);
  EXPECT_EQ(globals[0].arena_offset, 16u + 16u);
}

TEST(Compact, KeepsRequestedAlignment) {
  TwoRuns r = make_runs();
  std::uint64_t root = r.alloc(24);
  r.alloc(100);  // dropped
  std::uint64_t page = (r.a.arena.size() + 4095) / 4096 * 4096;
  r.a.arena.resize(page);
  r.b.arena.resize(page);
  std::uint64_t aligned = r.alloc(4096);
  for (Dump* d : {&r.a, &r.b}) d->allocs.back().flags |= 12u << protocol::kAllocAlignShift;
  ASSERT_EQ(aligned % 4096, 0u);
  r.set_arena_pointer(root, aligned);
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  std::vector<GlobalRestore> none;
  compact(ctx, r.a, c, none, reachable_allocations(r.a, c, {}));
  ASSERT_EQ(r.a.allocs.size(), 2u);
  EXPECT_EQ(r.a.allocs[1].offset, 4096u);
  EXPECT_EQ(word(r.a, 0), kBaseA + 4096);
}

// A word that starts inside an allocation and ends in the slack after its size (a 12-byte
// object's last word) was classified with it: compaction moves it whole, so a module pointer's
// target, read from its word, and an arena pointer there both survive.
TEST(Compact, MovesAnAllocationsLastWordWhole) {
  TwoRuns r = make_runs();
  std::uint64_t root = r.alloc(16);
  r.alloc(256);  // dropped
  std::uint64_t x = r.alloc(12), y = r.alloc(12);
  r.alloc(16);  // dropped; room for y's last word
  r.set_arena_pointer(root, x);
  r.set_arena_pointer(root + 8, y);
  r.set_exe_pointer(x + 8, 0x4100);
  r.set_arena_pointer(y + 8, root);
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  std::vector<GlobalRestore> none;
  compact(ctx, r.a, c, none, reachable_allocations(r.a, c, {}));
  EXPECT_TRUE(ctx.errors.empty());
  ASSERT_EQ(r.a.allocs.size(), 3u);
  ASSERT_EQ(r.a.allocs[1].offset, x - 256);
  ASSERT_EQ(r.a.allocs[2].offset, y - 256);
  EXPECT_EQ(r.a.arena.size(), y - 256 + 16);
  ASSERT_EQ(c.module_pointers.size(), 1u);
  EXPECT_EQ(c.module_pointers[0].arena_offset, x - 256 + 8);
  EXPECT_EQ(module_target(r.a, c.module_pointers[0]), 0x4100u);
  EXPECT_EQ(word(r.a, y - 256 + 8), kBaseA + root);
  EXPECT_TRUE(c.bitmap[0] >> ((y - 256 + 8) / 8) & 1);
}

}  // namespace
}  // namespace fastboot::baker
