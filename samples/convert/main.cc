// A converter from Simplified to Traditional Chinese on Debian's OpenCC library and its s2t
// configuration: it converts its input (files, or standard input) line by line, as
// `/usr/bin/opencc -c s2t.json` does. Unbaked, reading the configuration and its dictionaries
// is almost all of its start; baked, the converter is there when main starts.
#include <fastboot/fastboot.hpp>
#include <opencc/opencc.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

namespace {

fastboot::root<opencc::SimpleConverter> s2t{"s2t", [] { return opencc::SimpleConverter(OPENCC_DIR "/s2t.json"); }};

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  auto run = [&](std::istream& in) {
    for (std::string line; std::getline(in, line);) out += s2t->Convert(line) + "\n";
  };
  if (argc < 2) run(std::cin);
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i]);
    if (!in) {
      std::fprintf(stderr, "convert: cannot open %s\n", argv[i]);
      return 2;
    }
    run(in);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}
