// The diff of two bake runs, word by word, and the classification of every word: plain data,
// a pointer into the arena, a pointer into a module, or something that cannot be relocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"
#include "dump.h"

namespace fastboot::baker {

struct ModulePointer {
  std::uint64_t arena_offset;
  std::uint32_t module;   // index into the dumps' module lists
  std::uint64_t target;   // address relative to the module's load bias
};

struct BadWord {
  std::uint64_t arena_offset;
  std::uint64_t first, second;  // the word's value in each run
  std::size_t alloc;            // index into the allocation list
  std::string kind;             // what the value looks like
};

struct Classification {
  std::vector<std::uint64_t> bitmap;  // bit i: arena word i holds an arena pointer
  std::uint64_t arena_pointers = 0;
  std::uint64_t data_words = 0;
  std::vector<ModulePointer> module_pointers;  // sorted by module, then offset
  std::vector<BadWord> bad;
  std::vector<std::uint32_t> range_checked;  // modules at the same address in both runs
};

// Both runs must have made the same allocations in the same order. Records an error naming
// the first difference otherwise.
void check_same_shape(Context& ctx, const Dump& a, const Dump& b);

// Classifies every word of every live allocation.
Classification classify(Context& ctx, const Dump& a, const Dump& b);

}  // namespace fastboot::baker
