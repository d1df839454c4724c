// A frozen map: a frozen root per key, for the data a program is told to load at run time (here,
// each file named on its command line). Each key's value is frozen into an image of its own.
#include <fastboot/fastboot.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

int initializer_runs = 0;

fastboot::frozen_map<std::unordered_map<std::string, int>> index{"index", [](std::string_view path) {
  ++initializer_runs;
  std::unordered_map<std::string, int> m;
  std::ifstream in{std::string(path)};
  int n = 0;
  for (std::string w; std::getline(in, w);) m.emplace(w, n++);
  return m;
}};

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const auto& m = index.get(argv[i]);
    std::string_view name = argv[i];
    name.remove_prefix(name.rfind('/') + 1);
    long sum = 0;
    for (const auto& [word, n] : m) sum += long(word.size()) * n;
    std::printf("%.*s: %zu entries, %ld\n", int(name.size()), name.data(), m.size(), sum);
  }
  std::printf("initializer runs: %d\n", initializer_runs);
  return 0;
}
