// The bake pipeline. Each pass is one call; checkpoint() stops after a pass that found errors.
#include "bake.h"

#include <elf.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "compact.h"
#include "compress.h"
#include "diagnose.h"
#include "diff.h"
#include "dump.h"
#include "elf-file.h"
#include "elf-writer.h"
#include "globals.h"
#include "image-writer.h"
#include "match.h"
#include "padding.h"
#include "reach.h"
#include "resolve.h"
#include "run.h"
#include "statics.h"
#include "symbolize.h"
#include "vtables.h"

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

// Lists what the initializers read from outside the program: a baked value that depends on
// it is only as fresh as the last bake.
void report_audit(Context& ctx) {
  auto& files = ctx.audit["file"];
  std::set<std::string> absolute;
  std::filesystem::path base = ctx.opts.working_directory.empty() ? std::filesystem::current_path()
                                                                  : std::filesystem::path(ctx.opts.working_directory);
  for (const std::string& f : files) absolute.insert((base / f).lexically_normal().string());
  files = absolute;
  for (const auto& [kind, items] : ctx.audit) {
    if (items.empty()) continue;
    std::string list;
    std::size_t n = 0;
    for (const std::string& item : items) {
      if (n++ == 12) {
        list += fmt::format(" and {} more", items.size() - 12);
        break;
      }
      list += (n > 1 ? ", " : "") + item;
    }
    note(ctx) << "the initializers read " << (kind == "environment" ? "environment variables" : kind == "file" ? "files" : kind)
              << ": " << list;
  }
}

Baked bake_once(Context& ctx) {
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
  std::size_t printed = ctx.notes.size();
  report_audit(ctx);
  if (ctx.opts.arena_gaps) ctx.notes.resize(printed);  // the first try printed the same
  Dump& a = runs->first;
  Dump& b = runs->second;

  if (a.modules.empty() || a.modules[0].build_id.empty())
    error(ctx) << ctx.opts.program << ": the program has no GNU build-id, so a baked image could not "
               << "tell its own build from another; link it with -Wl,--build-id (fastboot_bake does)";
  checkpoint(ctx);

  // Match: threads that split their work by timing allocate in other places in each run. Pair
  // the runs' objects by walking both heaps from the roots, and put run B in run A's layout.
  // Diff: the runs must have allocated identically, or no word-by-word comparison means anything.
  HeapMatch match;
  {
    Timer t(ctx, "match and compare allocations");
    match = match_heaps(ctx, a, b);
    check_same_shape(ctx, a, b);
  }
  if (match.used && ctx.opts.address_stable)
    error(ctx) << "the threads the initializers started allocated in different orders in the two bake runs; an "
               << "address-stable bake keeps every object where the first run made it, which a table keyed by "
               << "address needs, so both runs must allocate the same way: make the threads' split of the work "
               << "independent of timing (docs/design.md#when-the-split-of-the-work-depends-on-timing), or bake "
               << "without ADDRESS_STABLE";
  if (match.used && ctx.opts.verbose)
    note(ctx) << "the bake runs' threads allocated in different orders; " << a.allocs.size() - match.unmatched
              << " allocations were paired by walking both heaps from the roots";
  checkpoint(ctx);
  b.allocs.release();  // run B's records have said what they had to (a's are run A's and B's now)

  // Padding of typed allocations holds leftovers of registers and stack
  // that differ from run to run; no program reads them, so they are zeroed before the diff.
  PaddingOracle types(a);
  {
    Timer t(ctx, "zero unread bytes");
    for (const auto& [type, words] : zero_unread_bytes(a, b, types))
      note(ctx) << words << " word" << (words == 1 ? "" : "s") << " of " << type << " objects differed between "
                << "the bake runs only in padding (leftovers of registers and "
                << "stack); those bytes are zeroed in the image";
    // The diff and the passes after it hold the most memory; the report asks again.
    types.forget_debug_info();
  }

  // Classify every word as data, arena pointer, module pointer or unbakeable.
  Classification c;
  {
    Timer t(ctx, "diff and classify");
    c = classify(ctx, a, b, match.used ? &match.unpaired : nullptr, &b.arena);
  }
  // Run B's heap has said what it had to (classify gave most of it back as it went).
  b.arena.release();
  if (ctx.opts.verbose && c.leftover_words)
    note(ctx) << c.leftover_words << " word" << (c.leftover_words == 1 ? "" : "s") << " differed between the bake "
              << "runs only by halves of addresses (leftover bytes of registers and stack in padding or "
              << "unused union storage); baked with the first run's bytes";
  if (ctx.opts.verbose && c.stack_words)
    note(ctx) << c.stack_words << (c.stack_words == 1 ? " word holds" : " words hold") << " addresses in the "
              << "initializers' stack frames, which are gone when an initializer returns: leftover bytes, "
              << "or pointers that dangle in the unbaked program too; baked as they are";

  // Escaping references: globals the initializers pointed at the heap are restored at startup;
  // baked pointers to library state the bake initialized are refused.
  // Function-local statics the initializers constructed come back whole (statics.h).
  std::vector<GlobalRestore> globals;
  Statics statics;
  Symbolizer symbols(a);
  {
    Timer t(ctx, "globals");
    const std::vector<ChangedWord> changed = changed_globals(ctx, a, b);
    statics = analyze_statics(ctx, a, b, symbols, changed);
    globals = analyze_globals(ctx, a, symbols, changed, statics.words);
    globals.insert(globals.end(), statics.words.begin(), statics.words.end());
    drop_unbakeable_globals(ctx, a, c, globals);
    keep_restored_statics(statics, globals);
    note_restored_globals(ctx, a, globals);
    // Few questions follow (a pointer into changed library state, the report's vtable
    // classes): the reach and compaction that come next need the memory more.
    symbols.forget();
    malloc_trim(0);  // what the two left is freed, not given back, among smaller blocks
  }

  // Diagnose: every word the baked program can reach must be something the runtime can
  // reproduce.
  Reachability reach;
  {
    Timer t(ctx, "reach and diagnose");
    GlobalSources sources = global_sources(a, globals);
    const std::vector<std::uint64_t>& from_globals = sources.offsets;
    reach = reachable_allocations(a, c, from_globals);
    std::vector<BakeStatePointer> bake_state = pointers_to_bake_state(a, c, reach.reached, symbols, statics.objects);
    if (reaches_unbakeable(c, reach) || !bake_state.empty())  // errors follow: walk again for their paths
      reach = reachable_allocations(a, c, from_globals, /*paths=*/true);
    reach.global_names = std::move(sources.names);
    report_unbakeable(ctx, a, c, reach);
    report_bake_state(ctx, a, reach, bake_state);
    if (!ctx.errors.empty() && !ctx.opts.arena_gaps && unbakeable_only_through_boundaries(a, c, reach, from_globals))
      throw TryWithGaps{};
  }
  checkpoint(ctx);
  // From here on, every reachable word of the arena is classified and relocatable.

  // Compact: keep only what the baked program can reach, packed.
  CompactionStats compaction = compact(ctx, a, c, globals, reach, match.used ? &match : nullptr);
  checkpoint(ctx);

  // Vtable copies: in a position-independent executable the objects point at copies of their
  // vtables in the arena, so what startup writes grows with the classes, not the objects.
  VtableCopies vtables = copy_vtables(ctx, a, c);
  if (!vtables.not_copied.empty()) {
    std::uint64_t left = 0;
    for (const ModulePointer& p : c.module_pointers) left += p.module == 0;
    if (left >= 10000 || ctx.opts.verbose)
      note(ctx) << left << " pointers into the executable (vtable pointers among them) will be written at every "
                << "start: vtables were not copied into the image because " << vtables.not_copied;
  }
  if (ctx.opts.verbose && !vtables.copies.empty())
    note(ctx) << vtables.redirected << " vtable pointers point at copies of " << vtables.copies.size()
              << " vtables in the image; their entries are what startup relocates";

  // Resolve: name each module pointed into, and the exported symbol behind each pointer into a
  // shared library, so startup can find them again.

  Resolution r;
  {
    Timer t(ctx, "resolve modules");
    std::vector<std::uint32_t> restored_modules;
    for (const GlobalRestore& g : globals) {
      restored_modules.push_back(g.module);
      if (g.kind == GlobalRestore::module_pointer) restored_modules.push_back(g.target_module);
    }
    for (const ExitHandler& x : statics.exits)
      for (std::uint32_t m : {x.fn_module, x.obj_module, x.dso_module})
        if (m != ExitHandler::kNull) restored_modules.push_back(m);
    r = resolve_modules(ctx, a, c, restored_modules);
  }
  for (const ResolvedModule& m : r.modules)
    if (!m.is_executable && ctx.opts.verbose)
      note(ctx) << "pointers into " << m.name << " are resolved by build-id, or by exported symbol when it changes";
  if (r.pointers_without_symbol)
    note(ctx) << r.pointers_without_symbol << " pointer(s) into shared libraries target no exported "
              << "symbol; the image needs the same builds of those libraries at startup";
  checkpoint(ctx);

  Baked baked;
  baked.report = build_report(ctx, a, c, r, globals, vtables, types);
  // The records have said what they had to; the image is laid out from the arena alone.
  const std::size_t allocations = a.allocs.size();
  const std::uint64_t arena_bytes = a.arena.size();  // the image takes the arena
  a.allocs.release();
  {
    Timer t(ctx, "lay out image");
    baked.image = write_section(ctx, a, c, r, globals, compress_arena, statics.exits);
  }
  BakeReport& rep = baked.report;
  rep.image_bytes = baked.image.size;
  if (rep.compressed) rep.estimated_first_touch_ms = estimate_first_touch_ms(rep.patched_at_startup, rep.image_bytes);
  const RootReport* biggest = rep.biggest_root();
  ctx.clear_progress_line();
  fmt::print(stderr,
             "fastboot-bake: baked {} root{} of {}: {:.1f} KiB arena ({:.1f} KiB live in {} allocations; "
             "{}), {} arena pointers, {} pointers into {} module{}; "
             "biggest root '{}' ({}); start: {} pointer{} written{}, ~{:.2f} ms\n",
             a.roots.size(), a.roots.size() == 1 ? "" : "s", rep.program, arena_bytes / 1024.0,
             compaction.live_bytes / 1024.0, allocations,
             ctx.opts.address_stable
                 ? fmt::format("address-stable: objects kept where they were built, {:.1f} KiB between them "
                               "zeroed, {:.1f} KiB dropped from the end",
                               (compaction.arena_after - compaction.live_bytes) / 1024.0,
                               (compaction.arena_before - compaction.arena_after) / 1024.0)
                 : fmt::format("{:.1f} KiB unreachable or freed dropped",
                               (compaction.arena_before - compaction.arena_after) / 1024.0),
             c.arena_pointers,
             c.module_pointers.size(), r.modules.size(), r.modules.size() == 1 ? "" : "s",
             biggest ? biggest->name : "", human_bytes(biggest ? biggest->bytes : 0), rep.patched_at_startup,
             rep.patched_at_startup == 1 ? "" : "s",
             rep.compressed ? fmt::format(", {} decompressed", human_bytes(rep.decompressed_bytes)) : "",
             rep.estimated_start_ms);
  return baked;
}

}  // namespace

Baked bake_image(Context& ctx) {
  // The bake runs the program: one for another machine runs only under an emulator.
  if (std::uint16_t machine = object_machine(ctx.opts.program);
      machine && machine != native_machine() && ctx.opts.emulator.empty()) {
    error(ctx) << ctx.opts.program << ": the program is for " << machine_name(machine) << " and this machine is "
               << machine_name(native_machine()) << "; a bake runs it, so it needs an emulator: --emulator "
               << (machine == EM_AARCH64 ? "qemu-aarch64-static" : "<emulator>")
               << " (in CMake, a cross build's CMAKE_CROSSCOMPILING_EMULATOR, docs/cross.md)";
    checkpoint(ctx);
  }
  try {
    return bake_once(ctx);
  } catch (const TryWithGaps&) {
    ctx.errors.clear();
    ctx.notes.clear();
    ctx.audit.clear();
    ctx.opts.arena_gaps = true;
    note(ctx) << "an address that is both the end of one allocation and the start of the next (a full "
              << "container's end) led to an object that cannot be baked; baking again with a gap after every "
              << "allocation, which tells the two apart (the image grows by up to 16 bytes per allocation)";
    return bake_once(ctx);
  }
}

void print_timings(const Context& ctx) {
  for (const auto& [name, ms] : ctx.timings) fmt::print(stderr, "fastboot-bake: {:>10.1f} ms  {}\n", ms, name);
}

}  // namespace fastboot::baker
