// A clock reading kept in the live member of a union (a std::variant's storage, in a vector):
// the padding pass zeroes only union bytes no live member holds, so this is refused as a clock
// reading, not zeroed as a leftover.
#include <fastboot/fastboot.hpp>

#include <chrono>
#include <cstdint>
#include <variant>
#include <vector>

struct Entry {
  std::variant<std::monostate, std::uint64_t, double> value;
};

static fastboot::root<std::vector<Entry>> entries{"entries", [] {
  std::vector<Entry> e(4);
  for (Entry& x : e) x.value = std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  return e;
}};

int main() { return std::get<std::uint64_t>((*entries)[0].value) == 0; }
