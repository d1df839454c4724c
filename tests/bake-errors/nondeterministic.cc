// The allocation sizes depend on where the executable was loaded.
#include <fastboot/fastboot.hpp>

#include <cstdint>
#include <vector>

static fastboot::root<std::vector<char>> random_size{"random-size", [] {
  static int anchor;
  return std::vector<char>(reinterpret_cast<std::uintptr_t>(&anchor) % 4093 + 1);
}};

int main() { return int(random_size->size() & 1); }
