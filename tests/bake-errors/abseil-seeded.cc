// abseil's hash tables mix the address of a global of libabsl_hash (its seed) into every hash,
// so a flat_hash_set of pointers lays out differently in each run even when the heap is at one
// base in both: an address-stable bake refuses it, naming the cause.
#include <fastboot/fastboot.hpp>

#include <absl/container/flat_hash_set.h>

#include <memory>
#include <vector>

struct Item {
  int value;
};

struct Registry {
  std::vector<std::unique_ptr<Item>> items;
  absl::flat_hash_set<const Item*> known;
};

static fastboot::root<std::unique_ptr<Registry>> registry{"registry", [] {
  auto r = std::make_unique<Registry>();
  for (int i = 0; i < 64; ++i) r->known.insert(r->items.emplace_back(new Item{i}).get());
  return r;
}};

int main() { return (*registry)->known.contains((*registry)->items[3].get()) ? 0 : 1; }
