#include "globals.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

#include "symbolize.h"

namespace fastboot::baker {

namespace {

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

std::string label(const Module& m) { return m.is_executable ? "the program" : base_name(m.name); }

std::string symbol_or_address(Symbolizer& sym, const Module& m, std::uint64_t offset) {
  auto s = sym.data_symbol(m, offset);
  return s.name.empty() ? fmt::format("{}+{:#x}", base_name(m.name), offset) : s.name;
}

}  // namespace

bool is_system_runtime(const Module& m) {
  static const std::regex pattern(R"((libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|ld-linux-x86-64)\.so[.0-9]*)");
  return !m.is_executable && std::regex_match(base_name(m.name), pattern);
}

std::vector<GlobalRestore> analyze_globals(Context& ctx, const Dump& a, const Dump& b,
                                           const Classification& c) {
  std::vector<GlobalRestore> restore;
  Symbolizer sym(a);
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> second;  // (module, offset) -> after
  for (const auto& g : b.globals) second[{g.module, g.offset}] = g.after;
  const std::uint64_t arena_shift = b.arena_base - a.arena_base;

  // Changed words grouped by module, for the pointee check below.
  std::map<std::uint64_t, std::vector<std::uint64_t>> changed;
  std::map<std::string, std::vector<std::string>> unrestored;  // module -> symbols
  for (const auto& g : a.globals) {
    if (g.module >= a.modules.size()) continue;
    const Module& m = a.modules[g.module];
    changed[g.module].push_back(g.offset);
    auto it = second.find({g.module, g.offset});
    std::uint64_t va = g.after, vb = it == second.end() ? g.before : it->second;
    bool arena_pointer = vb - va == arena_shift && va - a.arena_base <= a.arena.size();
    if (arena_pointer && !is_system_runtime(m)) {
      restore.push_back({std::uint32_t(g.module), g.offset, va - a.arena_base});
      continue;
    }
    bool module_pointer = false;
    for (std::size_t i = 0; i < a.modules.size() && !module_pointer; ++i)
      for (const Segment& s : a.modules[i].segments)
        if (va >= s.start && va <= s.end && vb - va == b.modules[i].bias - a.modules[i].bias && va != vb)
          module_pointer = true;
    // Lazily bound PLT slots and pointers to static objects are the module's business; data
    // and heap pointers in other modules' globals are what the baked program will not see.
    if (module_pointer) continue;
    if (is_system_runtime(m) && !ctx.opts.verbose) continue;
    unrestored[label(m)].push_back(symbol_or_address(sym, m, g.offset));
  }
  for (auto& [module, symbols] : unrestored) {
    std::sort(symbols.begin(), symbols.end());
    symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
    std::string list;
    for (std::size_t i = 0; i < symbols.size() && i < 8; ++i) list += (i ? ", " : "") + symbols[i];
    if (symbols.size() > 8) list += fmt::format(" and {} more", symbols.size() - 8);
    note(ctx) << module << ": the initializers changed " << list
              << "; the baked program starts with their initial values";
  }
  if (!restore.empty()) {
    std::map<std::string, std::vector<std::string>> by_module;
    for (const GlobalRestore& r : restore)
      by_module[label(a.modules[r.module])].push_back(symbol_or_address(sym, a.modules[r.module], r.offset));
    for (auto& [module, symbols] : by_module) {
      std::sort(symbols.begin(), symbols.end());
      symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
      std::string list;
      for (std::size_t i = 0; i < symbols.size() && i < 8; ++i) list += (i ? ", " : "") + symbols[i];
      if (symbols.size() > 8) list += fmt::format(" and {} more", symbols.size() - 8);
      note(ctx) << module << ": " << list << " point" << (symbols.size() == 1 ? "s" : "")
                << " into the baked heap and will be restored at startup";
    }
  }

  // A baked pointer into writable data that the bake changed points at state the baked program
  // does not have (it starts with the data as the executable holds it).
  for (const ModulePointer& p : c.module_pointers) {
    const Module& m = a.modules[p.module];
    auto it = changed.find(p.module);
    if (it == changed.end()) continue;
    bool writable = false;
    for (const Segment& s : m.segments)
      writable |= (s.flags & 2) && m.bias + p.target >= s.start && m.bias + p.target < s.end;
    if (!writable) continue;
    auto ds = sym.data_symbol(m, p.target);
    std::uint64_t lo = ds.size ? ds.start : (p.target & ~7ull);
    std::uint64_t hi = ds.size ? ds.start + ds.size : lo + 8;
    bool touched = std::any_of(it->second.begin(), it->second.end(),
                               [&](std::uint64_t off) { return off + 8 > lo && off < hi; });
    if (!touched) continue;
    const auto* alloc = &*std::prev(std::upper_bound(
        a.allocs.begin(), a.allocs.end(), p.arena_offset, [](std::uint64_t v, const auto& x) { return v < x.offset; }));
    std::string root = alloc->root < a.roots.size() ? a.roots[alloc->root].name : "?";
    error(ctx) << "root '" << root << "': word at arena offset " << fmt::format("{:#x}", p.arena_offset)
               << " points to " << (ds.name.empty() ? "data" : ds.name) << " in " << label(m)
               << ", which the bake itself initialized; the baked program would find it "
               << "uninitialized. Initialize it before the bake (in a static initializer), or "
               << "keep this pointer out of the root";
  }
  return restore;
}

}  // namespace fastboot::baker
