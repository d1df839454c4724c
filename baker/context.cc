#include "context.h"

#include <fmt/core.h>

namespace fastboot::baker {

Diagnostic error(Context& ctx) { return Diagnostic(ctx.errors, "fastboot-bake: error: "); }
Diagnostic note(Context& ctx) { return Diagnostic(ctx.notes, "fastboot-bake: note: "); }

void checkpoint(Context& ctx) {
  for (const std::string& n : ctx.notes) fmt::print(stderr, "{}\n", n);
  ctx.notes.clear();
  if (ctx.errors.empty()) return;
  for (const std::string& e : ctx.errors) fmt::print(stderr, "{}\n", e);
  fmt::print(stderr, "fastboot-bake: bake of {} failed with {} error{}\n", ctx.opts.program,
             ctx.errors.size(), ctx.errors.size() == 1 ? "" : "s");
  throw BakeFailed{};
}

}  // namespace fastboot::baker
