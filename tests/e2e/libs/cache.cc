#include "cache.h"

#include <map>

namespace {
std::map<std::string, int>* g_cache;  // set on first use: during the bake, inside the arena
}

void cache_put(const std::string& key, int value) {
  if (!g_cache) g_cache = new std::map<std::string, int>;
  (*g_cache)[key] = value;
}

int cache_get(const std::string& key) {
  if (!g_cache) return -1;
  auto it = g_cache->find(key);
  return it == g_cache->end() ? -1 : it->second;
}

std::size_t cache_size() { return g_cache ? g_cache->size() : 0; }
