// The baker runs itself with glibc's huge-page tunable (baker/huge-pages.h), and the programs it
// starts must see the environment it was given. An initializer that reads GLIBC_TUNABLES bakes
// what the unbaked program reads: the test runs without it, so both say "(not set)".
#include <cstdlib>
#include <string>

#include "e2e.h"

static fastboot::root<std::string> tunables{"tunables", [] {
  ++initializer_runs;
  const char* value = std::getenv("GLIBC_TUNABLES");
  return std::string(value ? value : "(not set)");
}};

int main() {
  std::printf("GLIBC_TUNABLES in the initializer: %s\n", tunables->c_str());
  print_status();
}
