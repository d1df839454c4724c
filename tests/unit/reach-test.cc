// Reachability: the walk without paths (level by level, on every core) reaches exactly the
// allocations the breadth-first walk that records paths does, and both read an address that
// ends one allocation and starts the next as the start.
#include <gtest/gtest.h>

#include <random>

#include "diff.h"
#include "reach.h"
#include "test-dumps.h"

namespace fastboot::baker {
namespace {

using namespace testing;

TEST(Reach, WithoutPathsTheSameSet) {
  TwoRuns r = make_runs();
  std::mt19937_64 rng(7);
  // The last `dead` allocations are never pointed to; a tenth of the others point nowhere.
  constexpr std::size_t n = 30000, dead = 2000;
  std::vector<std::uint64_t> at;
  std::vector<std::uint64_t> size;
  for (std::size_t i = 0; i < n; ++i) {
    size.push_back(i % 5 == 0 ? 40 : 32);
    at.push_back(r.alloc(size.back()));
    if (i % 7 == 0)  // a gap: this allocation's ends are no other's start
      for (Dump* d : {&r.a, &r.b}) d->arena.resize(d->arena.size() + 64, 0);
  }
  for (std::size_t i = 0; i < n; ++i) {
    // Most point to a start; some inside, some one past the end, some at the end of the last
    // granule it takes (a 40-byte allocation's 48th byte).
    std::size_t k = rng() % (n - dead);
    std::uint64_t target = at[k];
    switch (rng() % 12) {
      case 0: r.set_data(at[i], 7); break;
      case 1: r.set_arena_pointer(at[i], target + 8); break;
      case 2: r.set_arena_pointer(at[i], target + size[k]); break;
      case 3: r.set_arena_pointer(at[i], target + (size[k] + 15) / 16 * 16); break;
      default: r.set_arena_pointer(at[i], target);
    }
    if (rng() % 3 == 0) r.set_arena_pointer(at[i] + 8, at[rng() % (n - dead)]);
  }
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  ASSERT_TRUE(c.bad.empty());
  // Ten thousand starting points: a first level of several parts, one per core.
  std::vector<std::uint64_t> globals;
  for (std::size_t i = 0; i < 10000; ++i) globals.push_back(at[i * 2] + (i % 7 == 0 ? 4 : 0));
  Reachability fast = reachable_allocations(r.a, c, globals);
  Reachability with_paths = reachable_allocations(r.a, c, globals, /*paths=*/true);
  std::size_t reached = 0;
  for (bool x : fast.reached) reached += x;
  EXPECT_GT(reached, n / 2);
  EXPECT_LE(reached, n - dead);
  EXPECT_EQ(fast.reached, with_paths.reached);
}

TEST(Reach, EndOfOneIsStartOfTheNext) {
  TwoRuns r = make_runs();
  std::uint64_t root = r.alloc(16);
  std::uint64_t full = r.alloc(32);  // a full vector's storage
  std::uint64_t next = r.alloc(16);  // right after it
  ASSERT_EQ(full + 32, next);
  r.set_arena_pointer(root, full);
  r.set_arena_pointer(root + 8, full + 32);  // its end, which is also next's start
  Context ctx{Options{}};
  Classification c = classify(ctx, r.a, r.b);
  for (bool paths : {false, true}) {
    Reachability reach = reachable_allocations(r.a, c, {}, paths);
    EXPECT_TRUE(reach.reached[1]);
    EXPECT_TRUE(reach.reached[2]) << "paths " << paths;  // read as next's start
  }
}

}  // namespace
}  // namespace fastboot::baker
