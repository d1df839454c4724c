// An initializer that reads a relative path: it runs in fastboot_bake's WORKING_DIRECTORY.
#include <fstream>
#include <stdexcept>
#include <string>

#include "e2e.h"

static fastboot::root<std::string> greeting{"greeting", [] {
  ++initializer_runs;
  std::ifstream in("greeting.txt");
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error("greeting.txt not found");
  return line + " (" + std::to_string(line.size()) + " characters, and padded to leave the small buffer)";
}};

int main() {
  std::printf("%s\n", greeting->c_str());
  print_status();
}
