// libstdc++'s std::string is { char* data; size_t length; union { char buffer[16]; size_t
// capacity; } }, and a short string's data points at its own buffer. No other object a program
// builds has a pointer to 16 bytes past itself with a small length after it and a NUL at that
// length in two runs at two bases; where one did, the bytes zeroed would be ones both runs left
// past a terminator.
#include "dead-bytes.h"

#include <cstring>

#include "fastboot/bake-protocol.h"

namespace fastboot::baker {

namespace {

constexpr std::uint64_t kBuffer = 16, kStringSize = 32, kMaxShort = 15;

std::uint64_t word(const Dump& d, std::uint64_t off) {
  std::uint64_t v;
  std::memcpy(&v, d.arena.data() + off, 8);
  return v;
}

}  // namespace

std::size_t zero_short_string_tails(Dump& a, Dump& b) {
  if (a.arena.size() != b.arena.size()) return 0;
  std::size_t differed = 0;
  for (const protocol::DumpAlloc& alloc : a.allocs) {
    if (alloc.flags & protocol::kAllocFreed) continue;
    std::uint64_t end = alloc.offset + alloc.size;
    if (end > a.arena.size() || end < alloc.offset) continue;
    for (std::uint64_t o = (alloc.offset + 7) & ~7ull; o + kStringSize <= end; o += 8) {
      if (word(a, o) != a.arena_base + o + kBuffer || word(b, o) != b.arena_base + o + kBuffer) continue;
      std::uint64_t length = word(a, o + 8);
      if (length > kMaxShort || word(b, o + 8) != length) continue;
      std::uint64_t nul = o + kBuffer + length;
      if (a.arena[nul] != 0 || b.arena[nul] != 0) continue;
      std::uint64_t dead = kMaxShort - length;
      differed += std::memcmp(a.arena.data() + nul + 1, b.arena.data() + nul + 1, dead) != 0;
      std::memset(a.arena.data() + nul + 1, 0, dead);
      std::memset(b.arena.data() + nul + 1, 0, dead);
      o += kStringSize - 8;  // the next word after the string
    }
  }
  return differed;
}

}  // namespace fastboot::baker
