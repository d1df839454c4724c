// An initializer that reads standard input: the bake has none to give it, and the baked value
// would hold none of the input the program is given where it runs.
#include <fastboot/fastboot.hpp>

#include <iostream>
#include <string>
#include <vector>

static fastboot::root<std::vector<std::string>> lines{"lines", [] {
  std::vector<std::string> v;
  for (std::string line; std::getline(std::cin, line);) v.push_back(line);
  return v;
}};

int main() { return int(lines->size() & 1); }
