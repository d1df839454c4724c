// A shared library that keeps a global cache, filled on first use (an escaping reference).
#pragma once

#include <cstddef>
#include <string>

void cache_put(const std::string& key, int value);
int cache_get(const std::string& key);  // -1 when absent
std::size_t cache_size();
