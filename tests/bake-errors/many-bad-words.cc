// A thousand unbakeable words from one allocation site read as one error with a count.
#include <fastboot/fastboot.hpp>

#include <cstdint>
#include <vector>

static fastboot::root<std::vector<std::uint64_t>> cookies{"cookies", [] {
  static int anchor;
  std::vector<std::uint64_t> v(1000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = (reinterpret_cast<std::uintptr_t>(&anchor) + i) * 0x9E3779B97F4A7C15ull;
  return v;
}};

int main() { return int(cookies->size() & 1); }
