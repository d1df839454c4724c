// Counting the bits set in a word, for the tables that find an allocation by counting bits (the
// baker's AllocIndex, the first run's BlockIndex). Both are built for every x86-64, where
// __builtin_popcountll is a call into libgcc (no POPCNT instruction assumed); this is inline.
#pragma once

#include <cstdint>

namespace fastboot {

inline unsigned bits_set(std::uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return unsigned((x * 0x0101010101010101ull) >> 56);
}

}  // namespace fastboot
