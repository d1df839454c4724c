// fastboot-bake: the command-line front of the baker library.
#include <fmt/core.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bake.h"
#include "context.h"
#include "elf-writer.h"
#include "fastboot/image-format.h"
#include "link.h"
#include "verify.h"

using namespace fastboot::baker;

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
  inspect <program>
      Print what the .fastboot section of a baked program holds.
  verify <program>
      Exit 0 when the program's image is present, belongs to this very build (build-id), and
      passes every check the runtime makes plus the arena checksum; otherwise print why and
      exit 1. For CI: a program that fails this runs its initializers at startup.

options:
  --working-directory <dir>   run the initializers in <dir> (default: the current one)
  --depfile <file>            (link) write "<output>: <files the initializers read>" there
  --compress                  store the arena compressed (zstd): a smaller executable, and a
                              start that decompresses the whole arena instead of mapping it
  --verbose                   print the time each pass took
  --max-errors <n>            spell out at most <n> groups of unbakeable words (default 20)
  -h, --help                  print this help

Environment of a baked program:
  FASTBOOT_LOG=1        print one line on stderr: image used or why not, base, size, time
  FASTBOOT_DISABLE=1    ignore the image; run the initializers
  FASTBOOT_RANDOMIZE=1  map the image at a random address and relocate it
  FASTBOOT_VERIFY=1     also check the checksum of the whole arena before using it
)";

int inspect(const std::string& path) {
  Context ctx(Options{path});
  auto info = read_executable(ctx, path);
  if (!info) {
    for (auto& e : ctx.errors) fmt::print(stderr, "{}\n", e);
    return 1;
  }
  if (!info->has_image) {
    fmt::print("{}: no .fastboot section (not baked)\n", path);
    return 1;
  }
  std::ifstream in(path, std::ios::binary);
  in.seekg(std::streamoff(info->image_offset));
  fastboot::image::Header h{};
  in.read(reinterpret_cast<char*>(&h), sizeof(h));
  bool ok = in && std::memcmp(h.magic, fastboot::image::kMagic, 8) == 0 &&
            fastboot::image::header_checksum(h) == h.header_checksum;
  fmt::print("{}: .fastboot at file offset {:#x}, {} bytes{}\n", path, info->image_offset,
             info->image_size, ok ? "" : " (header is corrupt)");
  if (!ok) return 1;
  fmt::print("  format version {}\n  arena {} bytes at preferred base {:#x}\n", h.version,
             h.arena_size, h.preferred_base);
  fmt::print("  {} roots, {} modules, {} module relocations, {} arena pointers\n", h.root_count,
             h.module_count, h.reloc_count, h.arena_pointer_count);
  std::vector<fastboot::image::RootEntry> roots(h.root_count);
  std::vector<char> strings(h.strings_size);
  in.seekg(std::streamoff(info->image_offset + h.roots_offset));
  in.read(reinterpret_cast<char*>(roots.data()), std::streamsize(roots.size() * sizeof(roots[0])));
  in.seekg(std::streamoff(info->image_offset + h.strings_offset));
  in.read(strings.data(), std::streamsize(strings.size()));
  for (const auto& r : roots)
    if (r.name_offset < strings.size())
      fmt::print("  root '{}': {} bytes at arena offset {:#x}\n", strings.data() + r.name_offset,
                 r.size, r.object_offset);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    fmt::print("{}", kUsage);
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  Options opts;
  std::vector<std::string> positional, tail;
  std::string object_out;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        fmt::print(stderr, "fastboot-bake: {} needs a value\n", a);
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--") {
      tail.assign(args.begin() + long(i) + 1, args.end());
      break;
    }
    if (a == "--working-directory") opts.working_directory = value();
    else if (a == "--depfile") opts.depfile = value();
    else if (a == "--compress") opts.compress = true;
    else if (a == "--verbose") opts.verbose = true;
    else if (a == "--max-errors") opts.max_errors = std::stoul(value());
    else if (a == "-o") object_out = value();
    else if (a == "-h" || a == "--help") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      fmt::print(stderr, "fastboot-bake: unknown option {}\n{}", a, kUsage);
      return 2;
    } else positional.push_back(a);
  }

  if (command == "link") {
    Context ctx(opts);
    return link_and_bake(ctx, tail);
  }
  if (command == "bake") {
    if (positional.size() != 1 || object_out.empty()) {
      fmt::print(stderr, "fastboot-bake: bake needs <program> -o <image.o>\n");
      return 2;
    }
    opts.program = positional[0];
    Context ctx(opts);
    try {
      auto image = bake_image(ctx);
      write_image_object(ctx, image, object_out);
      checkpoint(ctx);
    } catch (const BakeFailed&) {
      return 1;
    }
    if (opts.verbose) print_timings(ctx);
    return 0;
  }
  if (command == "inspect" && positional.size() == 1) return inspect(positional[0]);
  if (command == "verify" && positional.size() == 1) {
    Context ctx(opts);
    std::string problem = image_problem(ctx, positional[0]);
    if (!problem.empty()) {
      fmt::print(stderr, "fastboot-bake: verify: {}: {}\n", positional[0], problem);
      return 1;
    }
    fmt::print("{}: image ok\n", positional[0]);
    return 0;
  }
  fmt::print(stderr, "fastboot-bake: unknown command '{}'\n{}", command, kUsage);
  return 2;
}
