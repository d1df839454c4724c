// A table of heap objects hashed with a seed taken from a global's address (abseil's pattern):
// the program's globals are at other addresses in each run, as in every process, so even an
// address-stable bake refuses it, and says why.
#include <fastboot/fastboot.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace {

const char kSeed = 0;

struct Item {
  int value;
};

struct SeededSet {
  std::vector<std::unique_ptr<Item>> items;
  std::vector<const Item*> slots = std::vector<const Item*>(256, nullptr);
  static std::size_t slot(const Item* p) {
    auto h = (reinterpret_cast<std::uintptr_t>(p) ^ reinterpret_cast<std::uintptr_t>(&kSeed)) * 0x9E3779B97F4A7C15ull;
    return std::size_t(h >> 56);
  }
  void insert(const Item* p) {
    std::size_t i = slot(p);
    while (slots[i]) i = (i + 1) % slots.size();
    slots[i] = p;
  }
};

fastboot::root<std::unique_ptr<SeededSet>> seeded{"seeded", [] {
  auto s = std::make_unique<SeededSet>();
  for (int i = 0; i < 64; ++i) s->insert(s->items.emplace_back(new Item{i}).get());
  return s;
}};

}  // namespace

int main() { return (*seeded)->slots[0] ? 0 : 1; }
