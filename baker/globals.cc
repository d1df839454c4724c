#include "globals.h"

#include "reach.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace fastboot::baker {

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

std::string label(const Module& m) { return m.is_executable ? "the program" : base_name(m.name); }

std::string summarize(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string list;
  for (std::size_t i = 0; i < names.size() && i < 8; ++i) list += (i ? ", " : "") + names[i];
  if (names.size() > 8) list += fmt::format(" and {} more", names.size() - 8);
  return list;
}

bool is_sanitizer_state(const std::string& symbol) {
  for (const char* prefix : {"__asan", "__ubsan", "__tsan", "__lsan", "__msan", "__sanitizer"})
    if (symbol.rfind(prefix, 0) == 0) return true;
  return false;
}

bool is_system_runtime(const Module& m) {
  if (m.is_executable) return false;
  // <library>.so followed by nothing but version numbers.
  std::string name = base_name(m.name);
  std::size_t so = name.find(".so");
  if (so == std::string::npos || name.find_first_not_of(".0123456789", so + 3) != std::string::npos) return false;
  name.resize(so);
  for (const char* lib : {"libc", "libm", "libstdc++", "libc++", "libc++abi", "libunwind", "libgcc_s", "libasan", "libubsan",
                          "libtsan", "liblsan", "libpthread", "libdl", "librt", "ld-linux-x86-64",
                          "ld-linux-aarch64"})
    if (name == lib) return true;
  return false;
}

std::map<std::uint64_t, std::vector<std::uint64_t>> changed_words(const Dump& a) {
  std::map<std::uint64_t, std::vector<std::uint64_t>> changed;
  for (const auto& g : a.globals) changed[g.module].push_back(g.offset);
  for (auto& [m, offsets] : changed) std::sort(offsets.begin(), offsets.end());
  return changed;
}

namespace {

// The object [start, end) that the word at `offset` of a module's data belongs to: its data
// symbol's bytes, or, where no symbol says (a stripped library, a function-local static), the
// run of words the bake changed around it, with at most one unchanged word between two changed
// ones (members that stayed zero). An object the initializers constructed changes most of its
// words; judging such a run whole keeps the baked program from seeing half of it (a map's
// header pointers restored, its size not).
struct Span {
  std::uint64_t start, end;
  std::string symbol;  // "" when no symbol names it
};
Span object_span(const Module& m, std::uint64_t offset, DataSymbols& sym, const std::vector<std::uint64_t>& changed) {
  auto ds = sym.data_symbol(m, offset);
  if (ds.size) return {ds.start, ds.start + ds.size, ds.name};
  std::uint64_t o = offset & ~7ull;
  Span span{o, o + 8, ds.name};
  auto i = std::lower_bound(changed.begin(), changed.end(), o < 8 ? 0 : o - 8);
  if (i == changed.end() || *i > o + 8) return span;
  auto first = i, last = i;
  while (first != changed.begin() && *first - *(first - 1) <= 16) --first;
  while (last + 1 != changed.end() && *(last + 1) - *last <= 16) ++last;
  span.start = std::min(o, *first);
  span.end = std::max(o + 8, *last + 8);
  return span;
}

}  // namespace

std::vector<ChangedWord> changed_globals(const Context& ctx, const Dump& a, const Dump& b) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> second;  // (module, offset) -> after
  for (const auto& g : b.globals) second[{g.module, g.offset}] = g.after;
  // The stacks the initializers ran on are at the same addresses in both runs, and in no
  // process after them: a thread's id or a pointer to its locals is no value to keep.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> stacks{
      {ctx.opts.stack_base, ctx.opts.stack_base + protocol::kBakeStackSize}};
  for (const auto& st : a.thread_stacks) stacks.push_back({st.start, st.end});
  std::vector<ChangedWord> words;
  for (const auto& g : a.globals) {
    if (g.module >= a.modules.size()) continue;
    auto it = second.find({g.module, g.offset});
    std::uint64_t va = g.after, vb = it == second.end() ? g.before : it->second;
    ChangedWord w{ChangedWord::differs, std::uint32_t(g.module), g.offset, va};
    if (arena_pointer(a, b, va, vb) && tag_of(va) == 0) w.kind = ChangedWord::arena;
    else if (va == vb) w.kind = ChangedWord::data;
    for (std::size_t i = 0; i < a.modules.size() && w.kind == ChangedWord::differs; ++i)
      for (const Segment& s : a.modules[i].segments)
        if (va >= s.start && va <= s.end && vb - va == b.modules[i].bias - a.modules[i].bias) {
          w.kind = ChangedWord::module_pointer;
          w.target_module = std::uint32_t(i);
        }
    for (const auto& [lo, hi] : stacks)
      if (w.kind == ChangedWord::data && va >= lo && va < hi) w.kind = ChangedWord::differs;
    words.push_back(w);
  }
  return words;
}

std::vector<GlobalRestore> analyze_globals(Context& ctx, const Dump& a, DataSymbols& sym,
                                           const std::vector<ChangedWord>& changed_globals,
                                           const std::vector<GlobalRestore>& statics) {
  std::vector<GlobalRestore> restore;
  std::set<std::pair<std::uint32_t, std::uint64_t>> taken;
  for (const GlobalRestore& g : statics) taken.insert({g.module, g.offset});

  // Changed words grouped by the object (data symbol) they belong to: an object is restored
  // whole or not at all, so the baked program never sees half of a global's state.
  struct Object {
    std::uint64_t module;
    std::string name;
    std::vector<ChangedWord> words;
  };
  std::map<std::pair<std::uint64_t, std::uint64_t>, Object> objects;  // (module, start)
  const auto changed = changed_words(a);
  for (const ChangedWord& w : changed_globals) {
    if (taken.count({w.module, w.offset})) continue;
    const Module& m = a.modules[w.module];
    Span span = object_span(m, w.offset, sym, changed.at(w.module));
    Object& o = objects[{w.module, span.start}];
    o.module = w.module;
    o.name = span.symbol.empty() ? fmt::format("{}+{:#x}", base_name(m.name), span.start) : span.symbol;
    o.words.push_back(w);
  }

  std::map<std::string, std::vector<std::string>> unrestored;  // module -> objects
  for (const auto& [key, o] : objects) {
    const Module& m = a.modules[o.module];
    auto count = [&](auto kind) {
      return std::count_if(o.words.begin(), o.words.end(), [&](const ChangedWord& w) { return w.kind == kind; });
    };
    std::size_t arena_words = count(ChangedWord::arena), module_words = count(ChangedWord::module_pointer);
    // Lazily bound PLT slots and caches of pointers to static objects: the module's business.
    if (module_words == o.words.size()) continue;
    if (arena_words == o.words.size() && !is_system_runtime(m)) {
      for (const ChangedWord& w : o.words) restore.push_back({std::uint32_t(o.module), w.offset, w.value - a.arena_base, o.name});
      continue;
    }
    if (is_system_runtime(m) && !ctx.opts.verbose) continue;
    unrestored[label(m)].push_back(o.name);
  }
  for (auto& [module, symbols] : unrestored)
    note(ctx) << module << ": the initializers changed " << summarize(symbols)
              << "; the baked program starts with their initial values";
  return restore;
}

std::set<std::pair<std::uint32_t, std::string>> restored_statics(const std::vector<GlobalRestore>& globals) {
  std::set<std::pair<std::uint32_t, std::string>> statics;
  for (const GlobalRestore& g : globals)
    if (g.kind == GlobalRestore::guard) statics.insert({g.module, g.object});
  return statics;
}

void note_restored_globals(Context& ctx, const Dump& a, const std::vector<GlobalRestore>& globals) {
  const auto statics = restored_statics(globals);  // noted by analyze_statics
  std::map<std::string, std::vector<std::string>> restored;  // module -> objects
  for (const GlobalRestore& g : globals)
    if (g.kind == GlobalRestore::arena && !statics.count({g.module, g.object}))
      restored[label(a.modules[g.module])].push_back(g.object);
  for (auto& [module, symbols] : restored)
    note(ctx) << module << ": " << summarize(symbols) << " point" << (symbols.size() == 1 ? "s" : "")
              << " into the baked heap and will be restored at startup";
}

void drop_unbakeable_globals(Context& ctx, const Dump& a, const Classification& c, std::vector<GlobalRestore>& globals) {
  if (c.bad.empty() || globals.empty()) return;
  Reachability from_roots = reachable_allocations(a, c, {});
  std::vector<bool> bad(a.allocs.size());
  bool any = false;
  for (const BadWord& w : c.bad)
    if (!from_roots.reached[w.alloc]) bad[w.alloc] = any = true;
  if (!any) return;
  const std::string env = varied_variables_read(ctx);
  // The restored words by object, as analyze_globals grouped them.
  std::map<std::pair<std::uint32_t, std::string>, std::vector<std::size_t>> objects;
  for (std::size_t i = 0; i < globals.size(); ++i) objects[{globals[i].module, globals[i].object}].push_back(i);
  std::set<std::pair<std::uint64_t, std::uint64_t>> held_a_value;  // (module, offset) nonzero before the bake
  for (const auto& g : a.globals)
    if (g.before) held_a_value.insert({g.module, g.offset});
  std::vector<bool> drop(globals.size());
  std::map<std::string, std::vector<std::string>> dropped;  // module -> objects
  for (const auto& [key, words] : objects) {
    // Only lazily computed state comes back by being computed again.
    if (std::any_of(words.begin(), words.end(), [&](std::size_t i) {
          return globals[i].kind == GlobalRestore::guard || held_a_value.count({globals[i].module, globals[i].offset});
        }))
      continue;
    std::vector<std::uint64_t> starts;
    for (std::size_t i : words)
      if (globals[i].kind == GlobalRestore::arena) starts.push_back(globals[i].arena_offset);
    if (!reaches_any(a, c, starts, from_roots.reached, bad)) continue;
    for (std::size_t i : words) drop[i] = true;
    dropped[label(a.modules[key.first])].push_back(key.second);
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < globals.size(); ++i)
    if (!drop[i]) globals[kept++] = globals[i];
  globals.resize(kept);
  for (auto& [module, objs] : dropped)
    note(ctx) << module << ": " << summarize(objs) << (objs.size() == 1 ? " points" : " point")
              << " into heap that differs between the bake runs"
              << (env.empty() ? "" : " (the initializers read " + env + ", which the second run sets to " +
                                         ctx.varied_environment + ")")
              << "; not restored: the baked program starts with " << (objs.size() == 1 ? "its" : "their")
              << " initial value" << (objs.size() == 1 ? "" : "s") << ", and the library builds that state again "
              << "where it runs";
}

GlobalSources global_sources(const Dump& a, const std::vector<GlobalRestore>& globals) {
  const auto statics = restored_statics(globals);
  GlobalSources out;
  for (const GlobalRestore& g : globals) {
    if (g.kind != GlobalRestore::arena) continue;
    const Module& m = a.modules[g.module];
    out.offsets.push_back(g.arena_offset);
    out.names.push_back(statics.count({g.module, g.object})
                            ? fmt::format("the function-local static {} ({}), constructed by the initializers", g.object,
                                          label(m))
                            : fmt::format("{} ({}), changed by the initializers", g.object, label(m)));
  }
  return out;
}

std::vector<BakeStatePointer> pointers_to_bake_state(const Dump& a, const Classification& c,
                                                     const std::vector<bool>& reachable, DataSymbols& sym,
                                                     const std::vector<ModuleSpan>& restored) {
  std::vector<BakeStatePointer> found;
  const auto changed = changed_words(a);
  std::optional<AllocIndex> index;  // made for the first pointer to check: most heaps have none
  // A baked pointer into writable data that the bake changed points at state the baked program
  // does not have (it starts with the data as the executable holds it). Not checked: the state
  // of the C and C++ runtime libraries and of sanitizer runtimes, which build it themselves in
  // every process (stdio's buffers, caches); the one piece baked values need built first, the
  // classic locale, is prepared before the bake and before the image is used. Leftover bytes
  // of pointers into that state (registers spilled into padding) would otherwise be refused.
  std::vector<bool> system(a.modules.size());
  for (std::size_t m = 0; m < a.modules.size(); ++m) system[m] = is_system_runtime(a.modules[m]);
  // Whether a target is such state depends on the target alone, and a million objects point at
  // a few vtables: each target is looked up once. Null: not state the bake changed.
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::optional<std::string>> state_at;
  auto changed_state = [&](std::uint32_t module, std::uint64_t target) -> const std::optional<std::string>& {
    auto [known, fresh] = state_at.try_emplace({module, target});
    if (!fresh) return known->second;
    const Module& m = a.modules[module];
    auto it = changed.find(module);
    if (it == changed.end() || !writable_at(m, target)) return known->second;
    // A static the baked program gets back whole, as the initializers left it.
    if (std::any_of(restored.begin(), restored.end(),
                    [&](const ModuleSpan& r) { return r.module == module && target >= r.start && target < r.end; }))
      return known->second;
    Span span = object_span(m, target, sym, it->second);
    if (is_sanitizer_state(span.symbol)) return known->second;
    bool touched = std::any_of(it->second.begin(), it->second.end(),
                               [&](std::uint64_t off) { return off + 8 > span.start && off < span.end; });
    if (touched) known->second = span.symbol;
    return known->second;
  };
  for (const ModulePointer& p : c.module_pointers) {
    if (system[p.module]) continue;
    if (!index) index.emplace(a.allocs, a.arena.size());
    std::size_t alloc_index = index->at_or_before(p.arena_offset);
    if (alloc_index == AllocIndex::kNone || !reachable[alloc_index]) continue;
    const std::uint64_t target = module_target(a, p);
    if (const std::optional<std::string>& symbol = changed_state(p.module, untagged(target)))
      found.push_back({p.arena_offset, alloc_index, std::uint32_t(p.module), target, *symbol});
  }
  return found;
}

std::string describe_bake_state(const Dump& a, const BakeStatePointer& p) {
  const Module& m = a.modules[p.module];
  if (!p.symbol.empty()) return p.symbol + " in " + label(m);
  return fmt::format("data at {}+{:#x} (no symbol names it: a function-local static, or a global {} keeps to "
                     "itself)", label(m), untagged(p.target), m.is_executable ? "the program" : "the library");
}

const char* const kBakeStateAdvice =
    "Initialize it before the bake (in a static initializer: call the function that owns a function-local "
    "static from one), or keep this pointer out of the root (if the word is padding no code reads, it is "
    "leftover bytes: value-initialize the object, or build the code that allocates it with -g)";

void report_pointers_to_bake_state(Context& ctx, const Dump& a, const std::vector<BakeStatePointer>& found) {
  for (const BakeStatePointer& p : found) {
    const auto& alloc = a.allocs[p.alloc];
    std::string root = alloc.root < a.roots.size() ? a.roots[alloc.root].name : "?";
    error(ctx) << "root '" << root << "': word at arena offset " << fmt::format("{:#x}", p.arena_offset)
               << " points to " << describe_bake_state(a, p)
               << ", which the bake itself initialized; the baked program would find it uninitialized. "
               << kBakeStateAdvice;
  }
}

}  // namespace fastboot::baker
