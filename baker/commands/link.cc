// `fastboot-bake link [options] -- <link command>`
#include <fmt/core.h>

#include "commands.h"
#include "link.h"

namespace fastboot::baker::commands {

int link(const std::vector<std::string>& argv) {
  auto args = parse("link", argv, kBakeValues, kBakeFlags);
  if (!args) return 2;
  auto opts = bake_options(*args);
  if (!opts) return 2;
  if (args->tail.empty()) {
    fmt::print(stderr, "fastboot-bake: link needs -- <link command>\n");
    return 2;
  }
  Context ctx(*opts);
  return link_and_bake(ctx, args->tail);
}

}  // namespace fastboot::baker::commands
