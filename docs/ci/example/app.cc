// A word index built from a file: baked, it is in the executable; the file is read at bake time.
#include <fastboot/fastboot.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

static fastboot::root<std::map<std::string, int>> index_of{"index", [] {
  std::map<std::string, int> index;
  std::ifstream in(WORDS);
  for (std::string word; in >> word;) index.emplace(word, int(index.size()));
  return index;
}};

int main() { std::printf("%zu words, baked: %d\n", index_of->size(), fastboot::baked() ? 1 : 0); }
