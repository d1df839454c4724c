// `fastboot-bake inspect <program> [--json] [--top <n>]`: what the image of a baked program
// holds, from its header and its bake report.
#include <fmt/core.h>

#include <cstring>
#include <fstream>

#include "commands.h"
#include "fastboot/image-format.h"
#include "report.h"
#include "report-text.h"
#include "verify.h"

namespace fastboot::baker::commands {

int inspect(const std::vector<std::string>& argv) {
  auto args = parse("inspect", argv, {"--top"}, {"--json"});
  if (!args) return 2;
  if (args->positional.size() != 1) {
    fmt::print(stderr, "fastboot-bake: inspect needs <program>\n");
    return 2;
  }
  std::size_t top = 10;
  try {
    top = std::stoul(args->value("--top", "10"));
  } catch (const std::exception&) {
    fmt::print(stderr, "fastboot-bake: --top needs a number\n");
    return 2;
  }
  const std::string& path = args->positional[0];
  Context ctx(Options{path});
  auto info = read_executable(ctx, path);
  if (!info) {
    for (auto& e : ctx.errors) fmt::print(stderr, "fastboot-bake: {}\n", e);
    return 1;
  }
  if (!info->has_image) {
    fmt::print(stderr, "fastboot-bake: {}: no .fastboot section (not baked)\n", path);
    return 1;
  }
  std::string problem;
  auto report = read_report(path, problem);
  if (args->has("--json")) {
    if (!report) {
      fmt::print(stderr, "fastboot-bake: {}\n", problem);
      return 1;
    }
    fmt::print("{}\n", to_json(*report));
    return 0;
  }

  std::ifstream in(path, std::ios::binary);
  in.seekg(std::streamoff(info->image_offset));
  fastboot::image::Header h{};
  in.read(reinterpret_cast<char*>(&h), sizeof(h));
  bool ok = in && std::memcmp(h.magic, fastboot::image::kMagic, 8) == 0 &&
            fastboot::image::header_checksum(h) == h.header_checksum;
  fmt::print("{}: .fastboot at file offset {:#x}, {} bytes{}\n", path, info->image_offset, info->image_size,
             ok ? "" : " (header is corrupt)");
  if (!ok) return 1;
  fmt::print("  format version {}; arena {} bytes at preferred base {:#x}{}\n", h.version, h.arena_size,
             h.preferred_base,
             h.flags & fastboot::image::kFixedBase    ? " (address-stable: used only there)"
             : h.flags & fastboot::image::kRandomizeBase ? " (mapped at a random base per boot)"
                                                        : "");
  fmt::print("  {} roots, {} modules, {} module relocations, {} arena pointers\n", h.root_count, h.module_count,
             h.reloc_count, h.arena_pointer_count);
  if (!report) {
    fmt::print("  no bake report: {}\n", problem);
    return 0;
  }
  fmt::print("\n{}", report_text(*report, top));
  return 0;
}

}  // namespace fastboot::baker::commands
