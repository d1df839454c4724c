// The diff and classification of two bake runs.
#include <gtest/gtest.h>

#include "diff.h"
#include "reach.h"
#include "test-dumps.h"

namespace fastboot::baker {
namespace {

using namespace testing;

Context make_context() { return Context(Options{}); }

TEST(Classify, SeparatesDataArenaAndExecutablePointers) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(48);
  r.set_data(o, 12345);
  r.set_arena_pointer(o + 8, o + 32);  // points inside the same object
  r.set_exe_pointer(o + 16, 0x4100);   // e.g. a vtable
  r.set_data(o + 24, 0);
  r.set_arena_pointer(o + 32, r.a.arena.size());  // one past the end of the arena
  Context ctx = make_context();
  Classification c = classify(ctx, r.a, r.b);
  EXPECT_TRUE(ctx.errors.empty());
  EXPECT_EQ(c.arena_pointers, 2u);
  EXPECT_EQ(c.data_words, 3u);  // 12345, 0 and the untouched last word
  ASSERT_EQ(c.module_pointers.size(), 1u);
  EXPECT_EQ(c.module_pointers[0].arena_offset, o + 16);
  EXPECT_EQ(c.module_pointers[0].module, 0u);
  EXPECT_EQ(module_target(r.a, c.module_pointers[0]), 0x4100u);
  EXPECT_TRUE(c.bad.empty());
  EXPECT_EQ(c.bitmap[0], (1ull << ((o + 8) / 8)) | (1ull << ((o + 32) / 8)));
}

TEST(Classify, PointerToLibraryIsAModulePointer) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(8);
  r.set(o, kLibA + 0x500, kLibB + 0x500);
  Context ctx = make_context();
  Classification c = classify(ctx, r.a, r.b);
  ASSERT_EQ(c.module_pointers.size(), 1u);
  EXPECT_EQ(c.module_pointers[0].module, 1u);
  EXPECT_EQ(module_target(r.a, c.module_pointers[0]), 0x500u);
}

TEST(Classify, UnexplainedDifferencesAreBadWordsWithAKind) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(32);
  r.set(o, 0x1234abcd5678ef01, 0x9abcdef012345678);        // a hash of an address
  r.set(o + 8, 0x7ffd12345678, 0x7ffe87654321);            // a stack address
  r.set(o + 16, kBaseA + 8, kBaseB + 16);                  // different objects in each run
  r.set(o + 24, kExeA + 0x100, kExeB + 0x180);             // executable, but not by its shift
  Context ctx = make_context();
  Classification c = classify(ctx, r.a, r.b);
  ASSERT_EQ(c.bad.size(), 4u);
  EXPECT_NE(c.bad[0].kind.find("a value that differs between runs and is no address"), std::string::npos);
  EXPECT_NE(c.bad[1].kind.find("memory the initializers did not allocate"), std::string::npos);
  EXPECT_EQ(c.bad[2].kind.find("it points into the arena, but to different objects in the two runs: most likely a table hashed"), 0u);
  EXPECT_NE(c.bad[3].kind.find("points into /bin/app in one run"), std::string::npos);
  EXPECT_EQ(c.bad[0].arena_offset, o);
  EXPECT_EQ(c.bad[1].first, 0x7ffd12345678u);
  EXPECT_EQ(c.bad[1].second, 0x7ffe87654321u);
}

TEST(Classify, FreedAllocationsAreSkipped) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(8, 0, protocol::kAllocFreed);
  r.set(o, 1, 2);
  Context ctx = make_context();
  Classification c = classify(ctx, r.a, r.b);
  EXPECT_TRUE(c.bad.empty());
  EXPECT_EQ(c.data_words, 0u);
}

TEST(Classify, ModuleAtTheSameAddressFallsBackToRangeCheckAndSaysSo) {
  TwoRuns r = make_runs();
  r.b.modules[0] = r.a.modules[0];  // executable not randomized
  std::uint64_t o = r.alloc(16);
  r.set_data(o, kExeA + 0x4200);
  r.set_data(o + 8, 77);
  Context ctx = make_context();
  Classification c = classify(ctx, r.a, r.b);
  ASSERT_EQ(c.module_pointers.size(), 1u);
  EXPECT_EQ(module_target(r.a, c.module_pointers[0]), 0x4200u);
  EXPECT_EQ(c.data_words, 1u);
  ASSERT_EQ(ctx.notes.size(), 1u);
  EXPECT_NE(ctx.notes[0].find("/bin/app was loaded at the same address in both bake runs"), std::string::npos);
}

// Under an emulator (or with ASLR off for the machine), memory outside the image stays put: a
// pointer into it is equal in both runs and is told from a number by its range.
TEST(Classify, EqualPointerIntoMemoryThatDidNotMoveIsRefused) {
  TwoRuns r = make_runs();
  r.a.maps = {{0x5500021000, 0x5500042000, "[heap]"}, {0x7e81aa000000, 0x7e81ab000000, "/data/table.bin"}};
  r.b.maps = r.a.maps;
  std::uint64_t o = r.alloc(24);
  r.set_data(o, 0x5500021010);       // the heap from before the bake
  r.set_data(o + 8, 0x7e81aa000100);  // a mapped file
  r.set_data(o + 16, 0x5500042000);   // just past the heap: a number, as far as anyone can tell
  Context ctx = make_context();
  Classification c = classify(ctx, r.a, r.b);
  ASSERT_EQ(c.bad.size(), 2u);
  EXPECT_EQ(c.bad[0].kind.find("it is a pointer into memory the initializers did not allocate"), 0u);
  EXPECT_NE(c.bad[1].kind.find("it points into /data/table.bin"), std::string::npos);
  for (const BadWord& w : c.bad)
    EXPECT_NE(w.kind.find("(it is the same address in both bake runs, since this memory was not moved between "
                          "them, as under an emulator: it was told from a number by its range)"),
              std::string::npos);
  EXPECT_EQ(c.data_words, 1u);
}

TEST(Classify, NumberInAnUnmovedModulesPagesOutsideItsSegmentsIsData) {
  TwoRuns r = make_runs();
  // A non-PIE executable (the same place in both runs) whose writable segment starts inside a
  // page: its pages map a little more than its segments hold. Its bss ends inside a page, and the
  // same mapping goes on as the heap (as qemu-user lays a process out).
  for (Dump* d : {&r.a, &r.b}) {
    d->modules[0] = {"/bin/app", 0, true, {1, 2, 3, 4}, {{0x400000, 0x5bc7ee, 5}, {0x61d498, 0x664fe0, 6}}};
    d->maps = {{0x400000, 0x5bc000, "/bin/app"}, {0x61d000, 0x658000, "/bin/app"}, {0x658000, 0x700000, ""}};
  }
  std::uint64_t o = r.alloc(24);
  r.set_data(o, 0x61d310);       // 2532 * 2532: in the page before the segment
  r.set_data(o + 8, 0x61d500);   // inside the segment: a pointer into the executable
  r.set_data(o + 16, 0x680010);  // the heap after the bss: memory the image does not hold
  Context ctx = make_context();
  Classification c = classify(ctx, r.a, r.b);
  EXPECT_EQ(c.data_words, 1u);
  EXPECT_EQ(c.module_pointers.size(), 1u);
  ASSERT_EQ(c.bad.size(), 1u);
  EXPECT_EQ(c.bad[0].arena_offset, o + 16);
  EXPECT_NE(c.bad[0].kind.find("it is the same address in both bake runs"), std::string::npos) << c.bad[0].kind;
}

TEST(Classify, EqualWordInsideMemoryThatMovedIsData) {
  TwoRuns r = make_runs();
  r.a.maps = {{0x5500021000, 0x5500042000, "[heap]"}};
  r.b.maps = {{0x55aa00021000, 0x55aa00042000, "[heap]"}};  // randomized: moved between the runs
  std::uint64_t o = r.alloc(8);
  r.set_data(o, 0x5500021010);
  Context ctx = make_context();
  Classification c = classify(ctx, r.a, r.b);
  EXPECT_TRUE(c.bad.empty());
  EXPECT_EQ(c.data_words, 1u);
}

TEST(Classify, UnderAnEmulatorOneNoteSaysModulesWereRangeChecked) {
  TwoRuns r = make_runs();
  r.b.modules = r.a.modules;  // qemu-user: every module at the same address
  std::uint64_t o = r.alloc(16);
  r.set_data(o, kExeA + 0x4200);
  r.set_data(o + 8, kLibA + 0x500);
  Options opts;
  opts.emulator = {"qemu-aarch64-static"};
  Context ctx(opts);
  Classification c = classify(ctx, r.a, r.b);
  ASSERT_EQ(c.module_pointers.size(), 2u);
  ASSERT_EQ(ctx.notes.size(), 1u);
  EXPECT_NE(ctx.notes[0].find("the emulator loads every module at the same address in every run"), std::string::npos);
}

TEST(CheckSameShape, DifferentAllocationSizesAreAnError) {
  TwoRuns r = make_runs();
  r.alloc(32);
  r.b.allocs[0].size = 40;
  Context ctx = make_context();
  check_same_shape(ctx, r.a, r.b);
  ASSERT_EQ(ctx.errors.size(), 1u);
  EXPECT_EQ(ctx.errors[0],
            "fastboot-bake: error: the two bake runs did not allocate the same way: allocation #0 "
            "(root 'table') is 32 bytes at arena offset 0 in the first run but 40 bytes at 0 in the "
            "second; a bake needs initializers that allocate the same way every time: do they "
            "depend on addresses, the time, random numbers, or threads?");
}

TEST(CheckSameShape, IdenticalRunsPass) {
  TwoRuns r = make_runs();
  r.alloc(32);
  r.alloc(7);
  Context ctx = make_context();
  check_same_shape(ctx, r.a, r.b);
  EXPECT_TRUE(ctx.errors.empty());
}

}  // namespace
}  // namespace fastboot::baker

namespace fastboot::baker {
namespace {

// A 4-byte value beside 4 bytes of register leftovers holding the upper half of an arena
// address differs between the runs by (upper-half difference) << 32. If the arena shift were a
// multiple of 2^32 that would pass for an arena pointer and be "relocated", corrupting the
// value; the default bases differ below bit 32 so it cannot, and it is a leftover instead.
TEST(Options, ArenaShiftHasLowBits) {
  Options o;
  EXPECT_NE((o.base_b - o.base_a) & 0xffffffffull, 0u);
  EXPECT_EQ(o.base_a % 4096, 0u);
  EXPECT_EQ(o.base_b % 4096, 0u);
}

TEST(Classify, UpperHalfOfAnArenaAddressIsALeftoverNotAPointer) {
  TwoRuns r = make_runs();
  r.a.arena_base = Options{}.base_a;
  r.b.arena_base = Options{}.base_b;
  std::uint64_t o = r.alloc(8);
  r.set(o, (r.a.arena_base >> 32 << 32) | 7, (r.b.arena_base >> 32 << 32) | 7);
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  EXPECT_EQ(c.arena_pointers, 0u);
  EXPECT_TRUE(c.bad.empty());
  EXPECT_EQ(c.leftover_words, 1u);
}

// Leftovers without debug information: a byte of a real member beside halves of addresses that
// were in the same place in both runs (a library, the arena at the same offset).
TEST(Classify, HalvesOfAddressesInTheSamePlaceAreLeftovers) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(24);
  r.set(o, (kLibA >> 32 << 32) | 0x80000001, (kLibB >> 32 << 32) | 0x80000001);  // upper half of a libc address
  r.set(o + 8, (std::uint64_t(0x63) << 32) | std::uint32_t(kExeA + 0x4010),
        (std::uint64_t(0x63) << 32) | std::uint32_t(kExeB + 0x4010));  // 'c' beside the lower half of an exe address
  r.set(o + 16, (std::uint64_t(0x1234) << 32) | 5, (std::uint64_t(0x5678) << 32) | 5);  // no address's halves
  for (Dump* d : {&r.a, &r.b}) d->maps.push_back({0x10000, 0x20000, "[heap]"});
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  EXPECT_EQ(c.leftover_words, 2u);
  ASSERT_EQ(c.bad.size(), 1u);
  EXPECT_EQ(c.bad[0].arena_offset, o + 16);
  EXPECT_NE(c.bad[0].kind.find("only its upper 4 bytes differ, as leftover bytes"), std::string::npos);
}

// Without debug information: a 3-byte member (std::regex's character class mask, say) whose
// padding above holds the upper 5 bytes of an address of the executable, each run its own.
TEST(Classify, UpperBytesOfAnAddressAboveASmallMemberAreLeftovers) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(16);
  r.set(o, ((kExeA + 0x10000) & ~0xffffffull) | 0x010c00, ((kExeB + 0x10000) & ~0xffffffull) | 0x010c00);
  r.set(o + 8, ((kExeA + 0x10000) & ~0xffffffull) | 0x010c00, ((kExeB + 0x10000) & ~0xffffffull) | 0x020c00);
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  EXPECT_EQ(c.leftover_words, 1u);
  ASSERT_EQ(c.bad.size(), 1u);  // the member itself differs: not leftovers
  EXPECT_EQ(c.bad[0].arena_offset, o + 8);
}

// The initializers run on a stack at the same address in both runs; an address in it is in a
// frame that is gone when the initializer returns.
TEST(Classify, AddressesInTheBakeStackAreCountedAsData) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(8);
  r.set_data(o, Options{}.stack_base + 0x1000);
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  EXPECT_TRUE(c.bad.empty());
  EXPECT_EQ(c.stack_words, 1u);
}

}  // namespace
}  // namespace fastboot::baker

namespace fastboot::baker {
namespace {

// An arena whose size is not a multiple of 8 ends in a partial word: it has no bit in the
// bitmap and can hold no pointer.
TEST(Classify, PartialLastWordIsNeverAPointer) {
  TwoRuns r = make_runs();
  std::uint64_t o = r.alloc(5);
  r.a.arena[o] = 1;
  r.b.arena[o] = 1;
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  EXPECT_EQ(c.bitmap.size(), 0u);
  EXPECT_EQ(c.data_words, 1u);
  EXPECT_TRUE(c.bad.empty());
  EXPECT_TRUE(reachable_allocations(r.a, c, {}).reached.at(0));
}

}  // namespace
}  // namespace fastboot::baker
