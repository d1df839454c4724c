#include "symbols.h"

#include <algorithm>

#include "elf-file.h"

namespace fastboot::baker {

const std::vector<ElfDataSymbols::Symbol>& ElfDataSymbols::symbols_of(const Module& m) {
  auto it = modules_.find(m.name);
  if (it == modules_.end()) {
    // Every sized object or thread-local symbol of .symtab, or of .dynsym when the file is
    // stripped; a file that cannot be read has none.
    std::vector<Symbol> symbols;
    ElfFile file;
    if (file.open(m.name).empty()) {
      const Elf64_Shdr* table = nullptr;
      for (const Elf64_Shdr& sh : file.sections())
        if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !table)) table = &sh;
      if (table)
        file.for_each_symbol(*table, [&](const ElfFile::Symbol& sym) {
          unsigned type = ELF64_ST_TYPE(sym.sym->st_info);
          // Not STT_TLS: a thread-local's value is an offset into the TLS block, no address.
          if (type == STT_OBJECT && sym.sym->st_size && sym.sym->st_shndx != SHN_UNDEF)
            symbols.push_back({sym.sym->st_value, sym.sym->st_size, std::string(sym.name)});
        });
    }
    std::sort(symbols.begin(), symbols.end(), [](const Symbol& x, const Symbol& y) { return x.start < y.start; });
    it = modules_.emplace(m.name, std::move(symbols)).first;
  }
  return it->second;
}

DataSymbol ElfDataSymbols::data_symbol(const Module& m, std::uint64_t vaddr) {
  const std::vector<Symbol>& symbols = symbols_of(m);
  auto after = std::upper_bound(symbols.begin(), symbols.end(), vaddr,
                                [](std::uint64_t v, const Symbol& s) { return v < s.start; });
  // Symbols can nest (an alias inside a larger object): look back a few for one that holds vaddr.
  for (int back = 0; after != symbols.begin() && back < 8; ++back) {
    --after;
    if (vaddr < after->start + after->size) return {after->name, after->start, after->size};
  }
  return {};
}

DataSymbol ElfDataSymbols::named(const Module& m, const std::string& name) {
  for (const Symbol& s : symbols_of(m))
    if (s.name == name) return {s.name, s.start, s.size};
  return {};
}

}  // namespace fastboot::baker
