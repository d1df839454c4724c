// Frozen roots whose values come from what only the program's own run has: a global main sets
// from its arguments, and standard input. The freezer builds a frozen root again in a fresh
// process, where main never ran and there is no input; an image of that value must never be
// served to a run that would have built another.
#include <fastboot/fastboot.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

std::string g_path;      // main sets it from --path
bool g_verbose = false;  // main sets it from --verbose; no initializer reads it
int initializer_runs = 0;

fastboot::frozen<std::unordered_map<std::string, int>> words{"index", [] {
  ++initializer_runs;
  std::unordered_map<std::string, int> m;
  std::ifstream in(g_path);
  int n = 0;
  for (std::string w; std::getline(in, w);) m.emplace(w, n++);
  return m;
}};

fastboot::frozen<std::vector<std::string>> lines{"lines", [] {
  ++initializer_runs;
  std::vector<std::string> v;
  for (std::string w; std::getline(std::cin, w);) v.push_back(w);
  return v;
}};

}  // namespace

int main(int argc, char** argv) {
  bool from_input = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--path") == 0 && i + 1 < argc) g_path = argv[++i];
    else if (std::strcmp(argv[i], "--verbose") == 0) g_verbose = true;
    else if (std::strcmp(argv[i], "--stdin") == 0) from_input = true;
  }
  if (from_input) std::printf("%zu words\n", lines->size());
  else std::printf("%zu entries\n", words->size());
  std::printf("initializer runs: %d%s\n", initializer_runs, g_verbose ? " (verbose)" : "");
  return 0;
}
