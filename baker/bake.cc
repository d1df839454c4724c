// The bake pipeline. Each pass is one call; checkpoint() stops after a pass that found errors.
#include "bake.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "diagnose.h"
#include "diff.h"
#include "dump.h"
#include "image-writer.h"
#include "run.h"

namespace fastboot::baker {

namespace {

// A private directory for the dumps of one bake, removed when the bake ends.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fastboot-bake-XXXXXX").string();
    if (mkdtemp(tmpl.data())) path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

std::vector<std::uint8_t> bake_image(Context& ctx) {
  ScratchDir scratch;
  if (scratch.path.empty()) error(ctx) << "cannot create a scratch directory in " << std::filesystem::temp_directory_path().string();
  checkpoint(ctx);

  // Capture: run the initializers twice, with the arena at two bases and the modules wherever
  // ASLR puts them. Both runs write a dump of their arena.
  std::optional<std::pair<Dump, Dump>> runs;
  {
    Timer t(ctx, "capture (two bake runs)");
    runs = run_bakes(ctx, scratch.path);
  }
  checkpoint(ctx);
  const Dump& a = runs->first;
  const Dump& b = runs->second;

  // Diff: the runs must have allocated identically, or no word-by-word comparison means anything.
  check_same_shape(ctx, a, b);
  checkpoint(ctx);

  // Classify every word as data, arena pointer, module pointer or unbakeable.
  Classification c;
  {
    Timer t(ctx, "diff and classify");
    c = classify(ctx, a, b);
  }

  // Resolve: every word must be something the runtime can reproduce.
  {
    Timer t(ctx, "diagnose");
    report_unbakeable(ctx, a, c);
  }
  checkpoint(ctx);
  // From here on, every word of the arena is classified and relocatable.

  std::vector<std::uint8_t> image;
  {
    Timer t(ctx, "lay out image");
    image = write_image(ctx, a, c);
  }
  std::size_t live = 0;
  for (const auto& alloc : a.allocs) live += (alloc.flags & protocol::kAllocFreed) ? 0 : 1;
  fmt::print(stderr,
             "fastboot-bake: baked {} root{} of {}: {:.1f} KiB arena, {} live allocations, {} arena "
             "pointers, {} executable pointers\n",
             a.roots.size(), a.roots.size() == 1 ? "" : "s",
             std::filesystem::path(ctx.opts.program).filename().string(), a.arena.size() / 1024.0,
             live, c.arena_pointers, c.module_pointers.size());
  return image;
}

void print_timings(const Context& ctx) {
  for (const auto& [name, ms] : ctx.timings) fmt::print(stderr, "fastboot-bake: {:>10.1f} ms  {}\n", ms, name);
}

}  // namespace fastboot::baker
