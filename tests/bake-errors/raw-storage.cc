// Memory allocated as an array of an empty, aligned class and used as storage for other values
// (abseil's slots are AlignedType<8>): DWARF lists no members, yet every byte is a value. Here
// the values are address-derived hashes, which differ between the runs: the bake must refuse
// them, not take the bytes for padding and zero them.
#include <fastboot/fastboot.hpp>

#include <cstdint>
#include <cstring>
#include <memory>

namespace {

struct alignas(8) Raw {};

struct Slots {
  Raw* storage = nullptr;
  std::size_t count = 0;
};

fastboot::root<Slots> slots{"slots", [] {
  static int anchor;
  Slots s;
  s.count = 16;
  s.storage = std::allocator<Raw>().allocate(s.count);
  for (std::size_t i = 0; i < s.count; ++i) {
    std::uint64_t hash = (reinterpret_cast<std::uintptr_t>(&anchor) + i) * 0x9E3779B97F4A7C15ull;
    std::memcpy(s.storage + i, &hash, sizeof hash);
  }
  return s;
}};

}  // namespace

int main() {
  std::uint64_t first;
  std::memcpy(&first, slots->storage, sizeof first);
  return first == 0;
}
