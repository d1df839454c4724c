// Frozen roots that cannot be frozen: one holds an address-derived hash (the two runs differ),
// one reads the process's own command line from /proc (no later run could tell it changed).
// Both must keep working unfrozen, and say why once.
#include <fastboot/fastboot.hpp>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

namespace {

int runs = 0;

struct Hashed {
  std::size_t seed;
  std::unique_ptr<int> cell;
};

fastboot::frozen<Hashed> hashed{"hashed", [] {
  ++runs;
  Hashed h{0, std::make_unique<int>(7)};
  h.seed = reinterpret_cast<std::size_t>(h.cell.get()) * 2654435761u;
  return h;
}};

fastboot::frozen<std::string> command{"command", [] {
  ++runs;
  std::ifstream in("/proc/self/cmdline");
  std::string text;
  std::getline(in, text, '\0');
  return std::string(text.empty() ? "?" : "read");
}};

}  // namespace

int main() {
  int cell = *hashed->cell;
  const std::string& read = *command;
  std::printf("cell %d, command %s, initializer runs %d\n", cell, read.c_str(), runs);
  return 0;
}
