// A shared library's global cache, filled by an initializer: the baked program sees it filled.
#include <string>

#include "e2e.h"
#include "libs/cache.h"

static fastboot::root<std::size_t> warmed{"warmed", [] {
  ++initializer_runs;
  for (int i = 0; i < 100; ++i) cache_put("key-" + std::to_string(i), i * i);
  return cache_size();
}};

int main() {
  std::printf("warmed %zu entries\n", *warmed);
  std::printf("cache holds %zu; key-7 -> %d, key-99 -> %d, missing -> %d\n", cache_size(), cache_get("key-7"),
              cache_get("key-99"), cache_get("nope"));
  print_status();
}
