// `fastboot-bake diff <old> <new> [--max-growth <percent>] [--json] [--top <n>]`: two bakes
// compared per root and allocation site. Each side is a baked program or a report saved with
// `inspect --json`. Exit 1 when a root present in both grew by more than --max-growth percent.
#include <fmt/core.h>

#include "commands.h"
#include "report-compare.h"
#include "report.h"

namespace fastboot::baker::commands {

int diff(const std::vector<std::string>& argv) {
  auto args = parse("diff", argv, {"--max-growth", "--top"}, {"--json"});
  if (!args) return 2;
  if (args->positional.size() != 2) {
    fmt::print(stderr, "fastboot-bake: diff needs <old program or report> <new program or report>\n");
    return 2;
  }
  double max_growth = -1;
  std::size_t top = 10;
  try {
    if (args->values.count("--max-growth")) {
      max_growth = std::stod(args->value("--max-growth"));
      if (max_growth < 0) throw std::invalid_argument("negative");
    }
    top = std::stoul(args->value("--top", "10"));
  } catch (const std::exception&) {
    fmt::print(stderr, "fastboot-bake: diff: --max-growth needs a percent (0 or more), --top a count\n");
    return 2;
  }
  std::string error;
  auto before = load_report(args->positional[0], error);
  if (!before) {
    fmt::print(stderr, "fastboot-bake: diff: {}\n", error);
    return 2;
  }
  auto after = load_report(args->positional[1], error);
  if (!after) {
    fmt::print(stderr, "fastboot-bake: diff: {}\n", error);
    return 2;
  }
  Comparison c = compare_reports(*before, *after);
  if (args->has("--json")) fmt::print("{}\n", comparison_json(c, max_growth));
  else fmt::print("{}", comparison_text(c, top));
  if (max_growth < 0) return 0;
  auto grown = roots_grown_beyond(c, max_growth);
  for (const RootChange* r : grown)
    fmt::print(stderr, "fastboot-bake: diff: root '{}' grew by {:.1f}% ({} -> {} bytes), more than --max-growth {}%\n",
               r->name, r->growth_percent(), r->bytes_before, r->bytes_after, max_growth);
  return grown.empty() ? 0 : 1;
}

}  // namespace fastboot::baker::commands
