// The freezer: the image of one frozen root, made on the machine where the program runs. It is
// the bake pipeline without what needs LLVM (debug information for padding, the symbolizer,
// libraries' export tables), linked into programs that declare a frozen root
// (fastboot-freezer.o, a member of the runtime archive). The runtime starts it in a background process, hands it a FreezeJob
// and keeps the files; anything the passes would refuse at build time is refused here too, and
// the first error becomes the reason the root is not frozen.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <algorithm>
#include <optional>
#include <set>

#include "compact.h"
#include "diff.h"
#include "dump.h"
#include "first-run.h"
#include "fastboot/bake-protocol.h"
#include "globals.h"
#include "image-writer.h"
#include "match.h"
#include "parallel.h"
#include "reach.h"
#include "resolve.h"
#include "run.h"
#include "symbols.h"
#include "vtables.h"

namespace fastboot::baker {

namespace {

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Modules are found again at startup by name and build-id only: the freezer reads no library's
// export table, so an image that points into a library that has changed is made again.
Resolution resolve_by_build_id(const Dump& a, const Classification& c, const std::vector<GlobalRestore>& globals) {
  Resolution r;
  std::vector<bool> listed(a.modules.size(), false);
  auto list = [&](std::uint32_t m) {
    if (listed[m]) return;
    listed[m] = true;
    const Module& mod = a.modules[m];
    r.modules.push_back({m, mod.is_executable, mod.is_executable ? "executable" : base_name(mod.name), mod.build_id});
  };
  for (const ModulePointer& p : c.module_pointers) {
    list(p.module);
    r.symbol_of.push_back(~0u);
    r.pointers_without_symbol += !a.modules[p.module].is_executable;
  }
  for (const GlobalRestore& g : globals) list(g.module);
  return r;
}

// The first word the baked value reaches that cannot be relocated, as one line.
void report_first_unbakeable(Context& ctx, const Dump& a, const Classification& c, const Reachability& reach) {
  for (const BadWord& w : c.bad) {
    if (!reach.reached[w.alloc]) continue;
    const auto& alloc = a.allocs[w.alloc];
    const std::string site = site_name(a, a.site_of(alloc));
    error(ctx) << "word " << (w.arena_offset - alloc.offset) / 8 << " of a " << alloc.size << "-byte object allocated at "
               << site << " cannot be relocated (" << fmt::format("{:#x} and {:#x}", w.first, w.second)
               << " in the two runs): " << w.kind;
    return;
  }
}

// The inputs in ctx.audit as the runtime records them: files as absolute paths (and the working
// directory when a path was relative, since a later run elsewhere would read another file),
// environment variables by name; with each file, the state both runs saw before they opened it,
// or a state no file has when they saw more than one.
bool report_inputs(const protocol::FreezeJob& job, Context& ctx) {
  std::vector<std::string> kinds, names, states;
  bool relative = false;
  char dir[4096];
  const std::string cwd = getcwd(dir, sizeof(dir)) ? dir : "/";
  for (const std::string& f : ctx.audit["file"]) {
    relative |= f.empty() || f[0] != '/';
    kinds.push_back("file");
    names.push_back(f.empty() || f[0] != '/' ? cwd + (cwd == "/" ? "" : "/") + f : f);
    const std::set<std::string>& seen = ctx.opened[f];
    states.push_back(seen.size() == 1 ? *seen.begin() : "changed while the runs read it");
  }
  for (const std::string& e : ctx.audit["environment"]) kinds.push_back("environment"), names.push_back(e);
  if (relative) kinds.push_back("cwd"), names.push_back("");
  std::vector<const char*> k, n, at_open(kinds.size(), nullptr);
  for (std::size_t i = 0; i < kinds.size(); ++i) k.push_back(kinds[i].c_str()), n.push_back(names[i].c_str());
  for (std::size_t i = 0; i < states.size(); ++i) at_open[i] = states[i].c_str();
  const char* why = "an input cannot be checked";
  if (job.inputs_seen(job.arg, k.size(), k.data(), n.data(), at_open.data(), &why)) return true;
  error(ctx) << why;
  return false;
}

// With FASTBOOT_LOG=2, one more line: what each pass took. Seen with FASTBOOT_FREEZE=sync; a
// background freezer's standard error is /dev/null.
void log_passes(const Context& ctx, const protocol::FreezeJob& job) {
  const char* log = getenv("FASTBOOT_LOG");
  if (!log || std::strcmp(log, "2") != 0 || ctx.timings.empty()) return;
  std::string line;
  for (const auto& [name, ms] : ctx.timings)
    if (name[0] != ' ') line += fmt::format("{}{} {:.0f} ms", line.empty() ? "" : ", ", name, ms);
  fmt::print(stderr, "fastboot: frozen root '{}': the freezer's passes: {}\n", job.root, line);
}

// Gives the image to job.image; false if there is none.
bool freeze_once(Context& ctx, const protocol::FreezeJob& job) {
  // Capture: the two runs side by side, each file's state taken just before every open and again
  // once both have ended, so a file that changed while the runs read it is caught.
  std::optional<std::pair<Dump, Dump>> runs;
  {
    Timer t(ctx, "capture (two bake runs)");
    runs = run_bakes(ctx, job.scratch, true);
    checkpoint(ctx);
    if (!report_inputs(job, ctx)) checkpoint(ctx);
  }
  Dump& a = runs->first;
  Dump& b = runs->second;
  if (a.modules.empty() || a.modules[0].build_id.empty())
    error(ctx) << "the program has no GNU build-id to tell its own build from another; link it with -Wl,--build-id";
  checkpoint(ctx);

  // Only the value the program built may be frozen. The check reads run A only, so it runs beside
  // the passes up to compaction, which moves A's objects; its verdict counts only when they found
  // nothing (a value that differs from run to run is refused for that).
  Context compared(ctx.opts);
  std::optional<Beside> comparing;
  if (job.first_run)
    comparing.emplace([&] {
      Timer t(compared, "compare with the program's run (beside the passes)");
      compare_with_first_run(compared, a, job.first_run, job.first_run_size);
    });

  // From here on, the bake's passes in the bake's order (baker/bake.cc says why each exists).
  HeapMatch match;
  {
    Timer t(ctx, "match and compare allocations");
    match = match_heaps(ctx, a, b);
    check_same_shape(ctx, a, b);
    checkpoint(ctx);
  }
  b.allocs.release();  // a's records are run A's and B's now
  std::optional<Classification> classified;
  {
    Timer t(ctx, "diff and classify");
    classified = classify(ctx, a, b, match.used ? &match.unpaired : nullptr, &b.arena);
  }
  b.arena.release();  // run B has said what it had to
  Classification& c = *classified;
  ElfDataSymbols symbols;
  std::vector<GlobalRestore> globals;
  {
    Timer t(ctx, "globals");
    globals = analyze_globals(ctx, a, symbols, changed_globals(ctx, a, b));
    drop_unbakeable_globals(ctx, a, c, globals);
    note_restored_globals(ctx, a, globals);
  }
  const std::vector<std::uint64_t> from_globals = global_sources(a, globals).offsets;
  std::optional<Reachability> reached;
  {
    Timer t(ctx, "reach and diagnose");
    reached = reachable_allocations(a, c, from_globals);  // its one-line errors print no paths
    report_first_unbakeable(ctx, a, c, *reached);
    report_pointers_to_bake_state(ctx, a, pointers_to_bake_state(a, c, reached->reached, symbols));
  }
  const Reachability& reach = *reached;
  if (!ctx.errors.empty() && !ctx.opts.arena_gaps && unbakeable_only_through_boundaries(a, c, reach, from_globals))
    throw TryWithGaps{};
  checkpoint(ctx);
  if (comparing) {
    Timer t(ctx, "wait for the comparison");
    comparing->wait();
    ctx.errors.insert(ctx.errors.end(), compared.errors.begin(), compared.errors.end());
    ctx.depends_on_run |= compared.depends_on_run;
    ctx.timings.insert(ctx.timings.end(), compared.timings.begin(), compared.timings.end());
  }
  checkpoint(ctx);
  compact(ctx, a, c, globals, reach, match.used ? &match : nullptr);
  checkpoint(ctx);
  copy_vtables(ctx, a, c);
  SectionImage image;
  {
    Timer t(ctx, "lay out image");
    Resolution r = resolve_by_build_id(a, c, globals);
    image = write_section(ctx, a, c, r, globals);
  }
  if (!ctx.errors.empty() || image.head.empty()) return false;
  {
    Timer t(ctx, "write the image");
    job.image(job.arg, image.head.data(), image.head.size(), image.arena.data(), image.arena.size(), image.size);
  }
  return true;
}

// A full container's end beside a block no root uses: again, with gaps that tell them apart.
bool freeze(Context& ctx, const protocol::FreezeJob& job) {
  try {
    return freeze_once(ctx, job);
  } catch (const TryWithGaps&) {
    ctx.errors.clear();
    ctx.audit.clear();
    ctx.opts.arena_gaps = true;
    return freeze_once(ctx, job);
  }
}

}  // namespace

}  // namespace fastboot::baker

extern "C" void fastboot_freeze_image(const fastboot::protocol::FreezeJob* job) {
  using namespace fastboot::baker;
  Options o;
  o.program = job->program;
  o.root = job->root;
  if (job->key) o.key = job->key;
  o.base_a = job->base_a;
  o.base_b = job->base_b;
  o.stack_base = job->stack_base;
  o.image_base = job->image_base;
  o.quiet = true;
  o.vary_environment = false;
  o.freezing = true;
  o.progress = Options::Progress::never;
  Context ctx(o);
  try {
    if (freeze(ctx, *job)) return log_passes(ctx, *job);
  } catch (const BakeFailed&) {
  } catch (const std::exception& e) {  // out of memory, most likely
    ctx.errors.push_back(e.what());
    ctx.passing_failure = true;
  }
  log_passes(ctx, *job);
  std::string why = ctx.errors.empty() ? std::string("the freezer made no image") : ctx.errors.front();
  const std::string prefix = "fastboot-bake: error: ";
  if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
  job->refused(job->arg, why.c_str(), !ctx.passing_failure, ctx.depends_on_run);
}
