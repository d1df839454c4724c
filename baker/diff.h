// The diff of two bake runs, word by word, and the classification of every word: plain data,
// a pointer into the arena, a pointer into a module, or something that cannot be relocated.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "context.h"
#include "dump.h"

namespace fastboot::baker {

// 8 bytes: a heap of a million objects with vtables has a million of these until the vtable
// copies take them over. Where one points is not kept here: the word itself, in run A's arena,
// holds run A's address (module_target). Every pass that moves or writes run A's words keeps
// that true: compaction moves whole words, the vtable copies hold run A's addresses, and the
// image's arena is laid out (its module pointers zeroed) from tables made before.
struct ModulePointer {
  std::uint64_t arena_offset : 40;  // an arena is at most 128 GiB (2^37)
  std::uint64_t module : 24;        // index into the dumps' module lists
};
static_assert(sizeof(ModulePointer) == 8);

// Where a module pointer points: its address relative to the module's load bias, a tagged
// pointer's flags in the upper 16 bits (kept by the addition that relocates it).
inline std::uint64_t module_target(const Dump& a, const ModulePointer& p) {
  std::uint64_t v = 0;
  if (p.arena_offset + 8 <= a.arena.size()) std::memcpy(&v, a.arena.data() + p.arena_offset, 8);
  return tag_of(v) | (untagged(v) - a.modules[p.module].bias);
}

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
  // Words that differed only in 4-byte halves that are each half of an address in the same place
  // of both runs (the arena, a module, the stack): leftovers of registers and stack in padding
  // or unused union storage. They are data with run A's bytes; run A's address space is the same
  // in every bake, so those bytes are too. (Zeroing them would be wrong: a half can share its
  // bytes with a real member, such as a bool beside three leftover bytes.)
  std::uint64_t leftover_words = 0;
  std::uint64_t stack_words = 0;  // equal in both runs, inside the initializers' (gone) frames
};

// Both runs must have made the same allocations in the same order. Records an error naming
// the first difference otherwise.
void check_same_shape(Context& ctx, const Dump& a, const Dump& b);

// The locale and time-zone variables the initializers read that the second bake run set to
// other values ("LANG, TZ"); empty when it did not vary them or they read none.
std::string varied_variables_read(const Context& ctx);

// Classifies every word of every live allocation. `unpaired`: words whose targets the heap
// match could not pair (match.h), with the reason the error gives. `give_back_b`: run B's arena
// (b.arena), when nothing reads it after: its pages are given back as the words on them are
// classified, so the bake never holds both runs' heaps whole.
Classification classify(Context& ctx, const Dump& a, const Dump& b,
                        const std::map<std::uint64_t, std::string>* unpaired = nullptr, Bytes* give_back_b = nullptr);

}  // namespace fastboot::baker
