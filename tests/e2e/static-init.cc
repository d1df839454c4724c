// The bake starts after static initialization and never runs main: the initializer sees the
// global built by a static constructor, and main aborts if it finds itself in a baking process.
#include <cstdlib>
#include <string>
#include <vector>

#include "e2e.h"

static std::vector<std::string> prefixes = [] {
  std::vector<std::string> v;
  for (int i = 0; i < 5; ++i) v.push_back("prefix-" + std::to_string(i) + "-made-by-a-static-constructor");
  return v;
}();

static fastboot::root<std::vector<std::string>> names{"names", [] {
  ++initializer_runs;
  std::vector<std::string> out;
  for (const auto& p : prefixes) out.push_back(p + "/name");
  return out;
}};

int main() {
  if (std::getenv("FASTBOOT_BAKE_OUTPUT")) std::abort();  // main must never run in a bake
  for (const auto& n : *names) std::printf("%s\n", n.c_str());
  print_status();
}
