// `fastboot-bake report <program> -o <report.html> [--json]`
#include <fmt/core.h>

#include <fstream>

#include "commands.h"
#include "report-html.h"
#include "report.h"

namespace fastboot::baker::commands {

int report(const std::vector<std::string>& argv) {
  auto args = parse("report", argv, {"-o"}, {"--json"});
  if (!args) return 2;
  if (args->positional.size() != 1 || args->value("-o").empty()) {
    fmt::print(stderr, "fastboot-bake: report needs <program> -o <report.html>\n");
    return 2;
  }
  std::string error;
  auto rep = load_report(args->positional[0], error);
  if (!rep) {
    fmt::print(stderr, "fastboot-bake: report: {}\n", error);
    return 1;
  }
  const std::string out = args->value("-o");
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << (args->has("--json") ? to_json(*rep) + "\n" : report_html(*rep));
  file.close();
  if (!file) {
    fmt::print(stderr, "fastboot-bake: report: cannot write {}\n", out);
    return 1;
  }
  fmt::print("{}: report of {} ({} roots, image {})\n", out, rep->program, rep->roots.size(), human_bytes(rep->image_bytes));
  return 0;
}

}  // namespace fastboot::baker::commands
