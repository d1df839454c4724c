// `fastboot-bake bake [options] <program> -o <image.o>`
#include <fmt/core.h>

#include "bake.h"
#include "commands.h"
#include "elf-file.h"
#include "elf-writer.h"

namespace fastboot::baker::commands {

int bake(const std::vector<std::string>& argv) {
  std::set<std::string> values = kBakeValues;
  values.insert("-o");
  auto args = parse("bake", argv, values, kBakeFlags);
  if (!args) return 2;
  auto opts = bake_options(*args);
  if (!opts) return 2;
  if (args->positional.size() != 1 || args->value("-o").empty()) {
    fmt::print(stderr, "fastboot-bake: bake needs <program> -o <image.o>\n");
    return 2;
  }
  opts->program = args->positional[0];
  Context ctx(*opts);
  try {
    Baked baked = bake_image(ctx);
    write_image_object(ctx, object_machine(opts->program), baked.image, encode_report_section(baked.report), args->value("-o"));
    checkpoint(ctx);
  } catch (const BakeFailed&) {
    ctx.finish_progress();
    return 1;
  }
  ctx.finish_progress();
  if (opts->verbose) print_timings(ctx);
  return 0;
}

}  // namespace fastboot::baker::commands
