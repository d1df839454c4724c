// The regions of a dump's arena (the baking thread's, then each worker thread's) are put one
// after another, and every address moves with its region.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <optional>
#include <tuple>

#include "dump.h"
#include "test-dumps.h"

namespace fastboot::baker {
namespace {

std::uint64_t word_at(const Dump& d, std::uint64_t off) {
  std::uint64_t v;
  std::memcpy(&v, d.arena.data() + off, 8);
  return v;
}

// The index finds the allocation at or before an offset, and tells from its bits alone whether
// one starts exactly there (the reach and the compaction then read no record).
TEST(AllocIndex, StartsAreKnownWithoutRecords) {
  testing::TwoRuns runs;
  std::uint64_t x = runs.alloc(40), y = runs.alloc(16), z = runs.alloc(100);
  AllocIndex index(runs.a.allocs, runs.a.arena.size());
  EXPECT_EQ(index.at_or_before(x), 0u);
  EXPECT_EQ(index.at_or_before(x + 39), 0u);
  EXPECT_EQ(index.at_or_before(y), 1u);
  EXPECT_EQ(index.at_or_before(z + 50), 2u);
  EXPECT_TRUE(index.starts_at(x));
  EXPECT_TRUE(index.starts_at(y));
  EXPECT_TRUE(index.starts_at(z));
  EXPECT_FALSE(index.starts_at(x + 8));   // inside, 8-aligned
  EXPECT_FALSE(index.starts_at(x + 32));  // a granule no allocation starts on
  EXPECT_FALSE(index.starts_at(z + 3));   // not a granule
  EXPECT_FALSE(index.starts_at(runs.a.arena.size() + 4096));  // past the arena

  // Records that do not all start on granules of their own: the index goes by buckets and
  // says it cannot tell.
  Dump odd;
  odd.arena = Bytes(64);
  odd.allocs = Allocs(2);
  odd.allocs[0] = testing::record(0, 8);
  odd.allocs[1] = testing::record(8, 8);
  AllocIndex by_buckets(odd.allocs, odd.arena.size());
  EXPECT_EQ(by_buckets.at_or_before(8), 1u);
  EXPECT_FALSE(by_buckets.starts_at(0));
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
  d.allocs = {testing::record(0, 32), testing::record(worker, 24)};
  d.roots = {{"r", 0, 32, 8, 1}};
  d.globals = {{0, 0x100, 0, base + worker}};
  ASSERT_TRUE(close_region_gaps(d, {{0, 32}, {worker, 24}}));
  ASSERT_EQ(d.arena.size(), 4096u + 4096u);
  EXPECT_EQ(word_at(d, 0), base + 4096 + 8);
  EXPECT_EQ(word_at(d, 8), 12345u);
  EXPECT_EQ(word_at(d, 4096), base + 16);
  EXPECT_EQ(word_at(d, 4096 + 8), base + 4096 + 24);
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

// A dump whose arena and records are in a memory file, as a baking process leaves them: one
// region of `arena_bytes` at file offset 0, `allocs` records at `records_offset`.
struct MemoryDump {
  std::string dir, path;
  int memory = -1;
  MemoryDump(std::uint64_t file_size, std::uint64_t arena_bytes, std::uint64_t allocs, std::uint64_t records_offset) {
    char tmpl[] = "/tmp/fastboot-dump-test-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/run.dump";
    memory = memfd_create("dump-test", MFD_CLOEXEC);
    EXPECT_EQ(ftruncate(memory, off_t(file_size)), 0);
    protocol::DumpHeader h{};
    std::memcpy(h.magic, protocol::kDumpMagic, 8);
    h.arena_base = 0x7e8100000000;
    h.arena_size = arena_bytes;
    h.alloc_count = allocs;
    h.region_count = 1;
    h.site_count = 2;
    protocol::DumpRegion region{0, arena_bytes, allocs, records_offset};
    const std::uint64_t sites[2] = {0, 0x401000};
    FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(&h, sizeof(h), 1, f);
    std::fwrite(&region, sizeof(region), 1, f);
    std::fwrite(sites, sizeof(sites), 1, f);
    std::fclose(f);
  }
  ~MemoryDump() {
    close(memory);
    std::remove(path.c_str());
    rmdir(dir.c_str());
  }
};

TEST(MemoryFile, ArenaAndRecordsAreMappedWhereTheRunLeftThem) {
  MemoryDump m(3 * 4096, 4096, 1, 8192);
  std::uint64_t word = 0x1234;
  protocol::DumpAlloc record{};
  record.size = 4096;
  record.site = 1;
  ASSERT_EQ(pwrite(m.memory, &word, 8, 8), 8);
  ASSERT_EQ(pwrite(m.memory, &record, sizeof(record), 8192), ssize_t(sizeof(record)));
  Context ctx{Options{}};
  std::optional<Dump> d = read_dump(ctx, m.path, m.memory);
  ASSERT_TRUE(d) << (ctx.errors.empty() ? "" : ctx.errors[0]);
  ASSERT_EQ(d->arena.size(), 4096u);
  EXPECT_EQ(word_at(*d, 8), 0x1234u);
  ASSERT_EQ(d->allocs.size(), 1u);
  EXPECT_EQ(d->allocs[0].size, 4096u);
  EXPECT_EQ(d->site_of(d->allocs[0]), 0x401000u);
}

TEST(MemoryFile, RegionsPastTheFileAreRefused) {
  for (auto [arena, allocs, records_offset] : {std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>{3 * 4096, 0, 4096},
                                               {4096, 1, 8192}, {4096, std::uint64_t(1) << 60, 4096}}) {
    MemoryDump m(2 * 4096, arena, allocs, records_offset);
    Context ctx{Options{}};
    EXPECT_FALSE(read_dump(ctx, m.path, m.memory));
    ASSERT_EQ(ctx.errors.size(), 1u);
    EXPECT_NE(ctx.errors[0].find("do not fit its memory file"), std::string::npos) << ctx.errors[0];
  }
}

TEST(MemoryFile, AnArrayOfAFileGrowsInPlaceAndGivesPagesBack) {
  int fd = memfd_create("mapped-array-test", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 4 * 4096), 0);
  std::optional<Bytes> a = Bytes::map_file(fd, {{0, 0, 4 * 4096}}, 4 * 4096);
  ASSERT_TRUE(a);
  std::fill(a->begin(), a->end(), 0x5a);
  const std::uint8_t* before = a->data();
  a->resize(4 * 4096 + 100);  // a pass that appends a little: no copy of the file's pages
  EXPECT_EQ(a->data(), before);
  EXPECT_EQ((*a)[4 * 4096 - 1], 0x5a);
  EXPECT_EQ((*a)[4 * 4096], 0);
  (*a)[0] = 0x77;  // still the file's page
  std::uint8_t b = 0;
  ASSERT_EQ(pread(fd, &b, 1, 0), 1);
  EXPECT_EQ(b, 0x77);
  // Whole pages inside [100, 3 * 4096 + 5): the second and third; the file gives them up too.
  a->discard(100, 3 * 4096 + 5);
  EXPECT_EQ((*a)[100], 0x5a);
  EXPECT_EQ((*a)[4096], 0);
  EXPECT_EQ((*a)[3 * 4096 - 1], 0);
  EXPECT_EQ((*a)[3 * 4096], 0x5a);
  ASSERT_EQ(pread(fd, &b, 1, 2 * 4096), 1);
  EXPECT_EQ(b, 0);  // a hole in the file, not only a page unmapped
  close(fd);
}

}  // namespace
}  // namespace fastboot::baker
