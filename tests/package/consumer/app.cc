#include <fastboot/fastboot.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

static fastboot::root<std::vector<std::string>> words{"words", [] {
  std::vector<std::string> w;
  std::ifstream in(DATA_FILE);
  for (std::string line; std::getline(in, line);) w.push_back(line);
  return w;
}};

static fastboot::root<std::string> extra{"extra", [] {
  std::ifstream in(EXTRA_FILE);
  std::string line;
  std::getline(in, line);
  return line;
}};

int main() {
  std::printf("%zu words, last '%s', extra '%s', %s\n", words->size(), words->back().c_str(), extra->c_str(),
              fastboot::baked() ? "baked" : "unbaked");
}
