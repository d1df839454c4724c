// Frozen roots only: linked with fastboot::runtime, no fastboot_bake.
#include <fastboot/fastboot.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

static fastboot::frozen<std::vector<std::string>> words{"words", [] {
  std::vector<std::string> w;
  std::ifstream in(DATA_FILE);
  for (std::string line; std::getline(in, line);) w.push_back(line);
  return w;
}};

int main() { std::printf("%zu words, last '%s'\n", words->size(), words->back().c_str()); }
