// `fastboot-bake verify <program>`
#include <fmt/core.h>

#include "commands.h"
#include "verify.h"

namespace fastboot::baker::commands {

int verify(const std::vector<std::string>& argv) {
  auto args = parse("verify", argv, {}, {});
  if (!args) return 2;
  if (args->positional.size() != 1) {
    fmt::print(stderr, "fastboot-bake: verify needs <program>\n");
    return 2;
  }
  const std::string& program = args->positional[0];
  Context ctx(Options{program});
  std::string problem = image_problem(ctx, program);
  if (!problem.empty()) {
    fmt::print(stderr, "fastboot-bake: verify: {}: {}\n", program, problem);
    return 1;
  }
  fmt::print("{}: image ok\n", program);
  return 0;
}

}  // namespace fastboot::baker::commands
