// Frozen roots whose values come from what only the program's own run has: a global main sets
// from its arguments, and standard input. The freezer builds a frozen root again in a fresh
// process, where main never ran and there is no input; an image of that value must never be
// served to a run that would have built another.
#include <fastboot/fastboot.hpp>

#include <clocale>
#include <cstdio>
#include <cstdlib>
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
unsigned char g_filled[64 << 10];  // main fills it with --fill: most of the program's writable data

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

// Depends on the C locale main chose: "héllo wörld" is 11 characters in a UTF-8 locale, and
// not a valid multibyte string in the "C" locale.
fastboot::frozen<long> characters{"characters", [] {
  ++initializer_runs;
  return static_cast<long>(std::mbstowcs(nullptr, "h\xc3\xa9llo w\xc3\xb6rld", 0));
}};

}  // namespace

int main(int argc, char** argv) {
  bool from_input = false, count = false, count_first = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--path") == 0 && i + 1 < argc) g_path = argv[++i];
    else if (std::strcmp(argv[i], "--verbose") == 0) g_verbose = true;
    else if (std::strcmp(argv[i], "--stdin") == 0) from_input = true;
    else if (std::strcmp(argv[i], "--utf8") == 0) std::setlocale(LC_ALL, "C.UTF-8"), count = true;
    else if (std::strcmp(argv[i], "--count") == 0) count = true;
    else if (std::strcmp(argv[i], "--count-first") == 0) count_first = true;  // another root first
    else if (std::strcmp(argv[i], "--fill") == 0) std::memset(g_filled, 0xab, sizeof(g_filled));
  }
  if (count_first) std::printf("%ld characters\n", *characters);
  if (count) std::printf("%ld characters\n", *characters);
  else if (from_input) std::printf("%zu words\n", lines->size());
  else std::printf("%zu entries\n", words->size());
  std::printf("initializer runs: %d%s\n", initializer_runs, g_verbose ? " (verbose)" : "");
  return 0;
}
