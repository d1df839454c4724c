// A set hashed by its objects' addresses lays them out differently when the heap is at another
// base: refused, with ADDRESS_STABLE named as the way to bake it.
#include <fastboot/fastboot.hpp>

#include <memory>
#include <unordered_set>
#include <vector>

struct Item {
  int value;
};

struct Registry {
  std::vector<std::unique_ptr<Item>> items;
  std::unordered_set<const Item*> known;
};

static fastboot::root<std::unique_ptr<Registry>> registry{"registry", [] {
  auto r = std::make_unique<Registry>();
  for (int i = 0; i < 64; ++i) r->known.insert(r->items.emplace_back(new Item{i}).get());
  return r;
}};

int main() { return (*registry)->known.count((*registry)->items[3].get()) == 1 ? 0 : 1; }
