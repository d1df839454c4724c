// The preferred base is taken (here by the program itself, before the first root access): the
// image is mapped elsewhere and relocated, with the same results.
#include <sys/mman.h>

#include <map>
#include <string>

#include "e2e.h"

static fastboot::root<std::map<std::string, std::string>> capitals{"capitals", [] {
  ++initializer_runs;
  return std::map<std::string, std::string>{{"France", "Paris, on the Seine"}, {"Japan", "Tokyo, on Honshu"},
                                            {"Peru", "Lima, by the Pacific"}};
}};

int main() {
  // The baker's first arena base; the image's section starts a few pages below it.
  void* want = reinterpret_cast<void*>(0x7e8100000000 - (1 << 20));
  void* got = mmap(want, 2 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (got != want) std::printf("could not occupy the preferred base\n");
  for (const auto& [country, city] : *capitals) std::printf("%s: %s\n", country.c_str(), city.c_str());
  print_status();
}
