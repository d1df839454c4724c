// Two runs whose threads allocated the same objects in different orders: the match pairs them by
// walking from the roots, and rewrites run B into run A's layout, so the diff sees no difference.
#include <gtest/gtest.h>

#include <cstring>

#include "diff.h"
#include "match.h"
#include "test-dumps.h"

namespace fastboot::baker {
namespace {

using namespace testing;

void put(Dump& d, std::uint64_t off, std::uint64_t v) { std::memcpy(d.arena.data() + off, &v, 8); }

// Run A: root [ptr to X, ptr to Y], X (32 bytes), Y (48 bytes). Run B: root, Y, X.
TwoRuns swapped_runs() {
  TwoRuns r = make_runs();
  for (Dump* d : {&r.a, &r.b}) {
    d->threads_started = 2;
    d->arena.assign(16 + 48 + 48, 0);
  }
  r.a.allocs = {record(0, 16), record(16, 32), record(48, 48)};
  r.b.allocs = {record(0, 16), record(16, 48), record(64, 32)};
  put(r.a, 0, kBaseA + 16), put(r.a, 8, kBaseA + 48);
  put(r.b, 0, kBaseB + 64), put(r.b, 8, kBaseB + 16);
  put(r.a, 16, 111), put(r.b, 64, 111);                   // X's data
  put(r.a, 48, 222), put(r.b, 16, 222);                   // Y's data
  put(r.a, 56, kBaseA + 16 + 8), put(r.b, 24, kBaseB + 64 + 8);  // Y points into X
  return r;
}

TEST(Match, PairsObjectsByWalkingFromTheRoots) {
  TwoRuns r = swapped_runs();
  Context ctx{Options{}};
  HeapMatch m = match_heaps(ctx, r.a, r.b);
  ASSERT_TRUE(m.used);
  EXPECT_EQ(m.unmatched, 0u);
  EXPECT_TRUE(m.unpaired.empty());
  Classification c = classify(ctx, r.a, r.b, &m.unpaired);
  EXPECT_TRUE(c.bad.empty());
  EXPECT_EQ(c.arena_pointers, 3u);
  EXPECT_EQ(m.order, (std::vector<std::size_t>{0, 1, 2}));
}

TEST(Match, ADifferenceTheThreadsMadeIsReportedAsSuch) {
  TwoRuns r = swapped_runs();
  put(r.b, 16, 333);  // Y's data differs: which thread won decided it
  Context ctx{Options{}};
  HeapMatch m = match_heaps(ctx, r.a, r.b);
  Classification c = classify(ctx, r.a, r.b, &m.unpaired);
  ASSERT_EQ(c.bad.size(), 1u);
  EXPECT_EQ(c.bad[0].arena_offset, 48u);
  EXPECT_EQ(c.bad[0].kind.rfind("the threads the initializers started produced different heaps: ", 0), 0u);
}

TEST(Match, WithoutThreadsTheShapeCheckReports) {
  TwoRuns r = swapped_runs();
  r.a.threads_started = r.b.threads_started = 0;
  Context ctx{Options{}};
  EXPECT_FALSE(match_heaps(ctx, r.a, r.b).used);
}

}  // namespace
}  // namespace fastboot::baker
