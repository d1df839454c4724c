// Synthetic bake runs for the unit tests: two dumps of the same allocations, with the arena and
// the executable at different addresses, that a test fills word by word.
#pragma once

#include <cstdint>
#include <cstring>

#include "dump.h"

namespace fastboot::baker::testing {

inline constexpr std::uint64_t kBaseA = 0x3a0000000000, kBaseB = 0x2b0000000000;
inline constexpr std::uint64_t kExeA = 0x555555554000, kExeB = 0x563412340000;
inline constexpr std::uint64_t kLibA = 0x7f0000000000, kLibB = 0x7f1100000000;

struct TwoRuns {
  Dump a, b;
  // Adds an allocation of `size` bytes to both runs; returns its arena offset.
  std::uint64_t alloc(std::uint64_t size, std::uint32_t root = 0, std::uint32_t flags = 0);
  void set(std::uint64_t off, std::uint64_t va, std::uint64_t vb);
  void set_data(std::uint64_t off, std::uint64_t v) { set(off, v, v); }
  void set_arena_pointer(std::uint64_t off, std::uint64_t target) { set(off, kBaseA + target, kBaseB + target); }
  void set_exe_pointer(std::uint64_t off, std::uint64_t vaddr) { set(off, kExeA + vaddr, kExeB + vaddr); }
};

// An allocation record (named fields: DumpAlloc is bit fields, not in the order of a brace list).
inline protocol::DumpAlloc record(std::uint64_t offset, std::uint64_t size, std::uint32_t root = 0, std::uint32_t flags = 0) {
  protocol::DumpAlloc x{};
  x.offset = offset, x.size = size, x.root = root, x.flags = flags;
  return x;
}

// Two runs with one root "table", an executable (PIE, different bias per run) and libc.
TwoRuns make_runs();

}  // namespace fastboot::baker::testing
