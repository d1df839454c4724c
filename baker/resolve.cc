#include "resolve.h"

#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>

#include <algorithm>
#include <filesystem>
#include <map>

namespace fastboot::baker {

LibraryInfo read_library(Context& ctx, const std::string& path) {
  LibraryInfo lib;
  lib.soname = std::filesystem::path(path).filename().string();
  auto binary = llvm::object::ObjectFile::createObjectFile(path);
  if (!binary) {
    note(ctx) << path << ": cannot read (" << llvm::toString(binary.takeError())
              << "); its pointers will need the same build of it at startup";
    return lib;
  }
  auto* elf = llvm::dyn_cast<llvm::object::ELF64LEObjectFile>(binary->getBinary());
  if (!elf) return lib;
  const auto& file = elf->getELFFile();
  if (auto dynamic = file.dynamicEntries()) {
    std::uint64_t soname = ~0ull, strtab = 0;
    for (const auto& d : *dynamic) {
      if (d.d_tag == llvm::ELF::DT_SONAME) soname = d.getVal();
      if (d.d_tag == llvm::ELF::DT_STRTAB) strtab = d.getPtr();
    }
    if (soname != ~0ull && strtab) {
      if (auto strings = file.toMappedAddr(strtab)) lib.soname = reinterpret_cast<const char*>(*strings) + soname;
      else llvm::consumeError(strings.takeError());
    }
  } else {
    llvm::consumeError(dynamic.takeError());
  }
  for (const auto& sym : elf->getDynamicSymbolIterators()) {
    auto flags = sym.getFlags();
    auto section = sym.getSection();
    auto name = sym.getName();
    auto value = sym.getValue();
    if (!flags || !section || !name || !value) {
      if (!flags) llvm::consumeError(flags.takeError());
      if (!section) llvm::consumeError(section.takeError());
      if (!name) llvm::consumeError(name.takeError());
      if (!value) llvm::consumeError(value.takeError());
      continue;
    }
    if ((*flags & llvm::object::BasicSymbolRef::SF_Undefined) || *section == elf->section_end() ||
        !(*flags & llvm::object::BasicSymbolRef::SF_Global) || name->empty())
      continue;
    if (llvm::object::ELFSymbolRef(sym).getOther() & 0x3) continue;  // not default visibility
    lib.exported.push_back({name->str(), *value, llvm::object::ELFSymbolRef(sym).getSize()});
  }
  std::sort(lib.exported.begin(), lib.exported.end(), [](const auto& x, const auto& y) {
    return x.value != y.value ? x.value < y.value : x.name < y.name;
  });
  return lib;
}

const ExportedSymbol* symbol_at(const LibraryInfo& lib, std::uint64_t target) {
  auto it = std::upper_bound(lib.exported.begin(), lib.exported.end(), target,
                             [](std::uint64_t v, const ExportedSymbol& s) { return v < s.value; });
  // Among symbols at or below target, the nearest whose extent holds it (one past the end too,
  // for end pointers); a zero-size symbol only at its own address.
  while (it != lib.exported.begin()) {
    --it;
    if (target == it->value || (it->size && target - it->value <= it->size)) return &*it;
    if (it->value + 0x100000 < target) break;  // far below: give up
  }
  return nullptr;
}

Resolution resolve_modules(Context& ctx, const Dump& a, const Classification& c,
                           const std::vector<std::uint32_t>& also) {
  Resolution r;
  std::map<std::uint32_t, LibraryInfo> libraries;
  std::map<std::pair<std::uint32_t, std::string>, std::uint32_t> symbol_index;
  auto add_module = [&](std::uint32_t index) {
    const Module& m = a.modules[index];
    ResolvedModule rm{index, m.is_executable, "executable", m.build_id};
    if (!m.is_executable) {
      auto [it, fresh] = libraries.try_emplace(index);
      if (fresh) it->second = read_library(ctx, m.name);
      rm.name = it->second.soname;
    }
    r.modules.push_back(rm);
  };
  std::uint32_t current = ~0u;
  for (const ModulePointer& p : c.module_pointers) {
    const Module& m = a.modules[p.module];
    if (p.module != current) {
      current = p.module;
      add_module(p.module);
    }
    std::uint32_t sym = ~0u;
    if (!m.is_executable) {
      if (const ExportedSymbol* s = symbol_at(libraries[p.module], untagged(module_target(a, p)))) {
        auto [it, fresh] = symbol_index.try_emplace({p.module, s->name}, std::uint32_t(r.symbols.size()));
        if (fresh) r.symbols.push_back(*s);
        sym = it->second;
      } else {
        ++r.pointers_without_symbol;
      }
    }
    r.symbol_of.push_back(sym);
  }
  for (std::uint32_t m : also)
    if (std::none_of(r.modules.begin(), r.modules.end(), [&](const auto& x) { return x.module == m; }))
      add_module(m);
  return r;
}

}  // namespace fastboot::baker
