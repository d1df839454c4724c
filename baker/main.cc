// fastboot-bake: the command line of the baker library. Each command lives in commands/.
#include <fmt/core.h>

#include <string>
#include <vector>

#include "commands/commands.h"
#include "huge-pages.h"

namespace {

const char* kUsage = R"(usage: fastboot-bake <command> [options]

Bakes the roots of a C++ program (declared with fastboot::root<T>) into an image.

commands:
  link [options] -- <link command...>
      Run the link command, bake the program it produced, and link it again with the image
      in a .fastboot section. This is the linker launcher fastboot_bake() installs in CMake.
      On a failed bake the output file is removed and the exit status is 1.
  bake [options] <program> -o <image.o>
      Bake a linked program and write its image as an ELF relocatable object, to link into
      the same program (the link must otherwise be identical).
  inspect <program> [--json] [--top <n>]
      What the image of a baked program holds, per root: bytes and objects by allocated type
      and by allocation site, the largest objects, pointers into each module, what is written
      at startup, restored globals, what the initializers read. Read from the
      bake report stored in the program (.fastboot.report, never loaded at run time; it
      survives strip). --json prints the report (schema: docs/report.md).
  report <program> -o <report.html> [--json]
      Write the report as one self-contained HTML page: a zoomable treemap of the heap
      (root, type, allocation site) and the tables of inspect. --json writes the JSON instead.
  diff <old> <new> [--max-growth <percent>] [--json] [--top <n>]
      Compare two bakes (baked programs, or reports saved with inspect --json): per root and
      allocation site, bytes and objects gained or lost, pointers, estimated start. Exit 1 when
      a root present in both grew by more than <percent> of its bytes.
  verify <program>
      Exit 0 when the program's image is present, belongs to this very build (build-id), and
      passes every check the runtime makes plus the arena checksum; otherwise print why and
      exit 1. For CI: a program that fails this runs its initializers at startup.

options of link and bake:
  --working-directory <dir>   run the initializers in <dir> (default: the current one)
  --depfile <file>            (link) write "<output>: <files the initializers read>" there
  --emulator <word>           run the baking processes under an emulator: a program built for
                              another machine (a cross build). Once per word of its command,
                              in order: --emulator qemu-aarch64 --emulator -L --emulator
                              /usr/aarch64-linux-gnu (fastboot_bake() passes
                              CMAKE_CROSSCOMPILING_EMULATOR)
  --compress[=lz4|zstd]       store the arena compressed: a smaller executable, and a start
                              that decompresses the whole arena (on every core) instead of
                              mapping it. lz4 (the default) decompresses about four times
                              faster; zstd makes the smaller executable
  --randomize-base            map the image at a random base chosen once per boot and user,
                              from a relocated copy the first process leaves in
                              $XDG_RUNTIME_DIR, instead of at the bake's fixed address
  --address-stable            bake tables keyed by their objects' addresses (unordered_map<T*,
                              ...>, LLVM's DenseMaps): both bake runs put the heap at one base,
                              nothing moves, and the image is used only at that base (anywhere
                              else, the program runs its initializers)
  --verbose                   print the time each pass took
  --progress, --no-progress   show the pass the bake is in always, or never (default: when a
                              bake takes over a second: a live line with the percent of the
                              heap done on a terminal, one line per finished pass in a log,
                              and the per-pass times at the end)
  --max-errors <n>            spell out at most <n> groups of unbakeable words (default 20)

Environment of a baked program:
  FASTBOOT_LOG=1        print one line on stderr: image used or why not, base, size, time
  FASTBOOT_DISABLE=1    ignore the image; run the initializers
  FASTBOOT_RANDOMIZE=1  map the image at a random address and relocate it
  FASTBOOT_VERIFY=1     also check the checksum of the whole arena before using it
)";

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
};

const Command kCommands[] = {
    {"link", fastboot::baker::commands::link},       {"bake", fastboot::baker::commands::bake},
    {"inspect", fastboot::baker::commands::inspect}, {"report", fastboot::baker::commands::report},
    {"diff", fastboot::baker::commands::diff},       {"verify", fastboot::baker::commands::verify},
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    fmt::print("{}", kUsage);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "bake" || args[0] == "link") {
    fastboot::baker::exec_with_huge_pages(argv);
    fastboot::baker::give_large_blocks_back();
  }
  for (const Command& c : kCommands)
    if (args[0] == c.name) {
      std::vector<std::string> rest(args.begin() + 1, args.end());
      for (const std::string& a : rest) {
        if (a == "--") break;
        if (a == "-h" || a == "--help") {
          fmt::print("{}", kUsage);
          return 0;
        }
      }
      return c.run(rest);
    }
  fmt::print(stderr, "fastboot-bake: unknown command '{}'\n{}", args[0], kUsage);
  return 2;
}
