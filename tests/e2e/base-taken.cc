// The preferred base is taken (here by the program itself, before the first root access): the
// image is mapped elsewhere and relocated, with the same results.
#include <map>
#include <string>

#include "e2e.h"

static fastboot::root<std::map<std::string, std::string>> capitals{"capitals", [] {
  ++initializer_runs;
  return std::map<std::string, std::string>{{"France", "Paris, on the Seine"}, {"Japan", "Tokyo, on Honshu"},
                                            {"Peru", "Lima, by the Pacific"}};
}};

int main() {
  take_preferred_base();
  for (const auto& [country, city] : *capitals) std::printf("%s: %s\n", country.c_str(), city.c_str());
  print_status();
}
