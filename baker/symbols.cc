#include "symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace fastboot::baker {

namespace {

// Every sized STT_OBJECT or STT_TLS symbol of an ELF file's .symtab (or .dynsym when stripped).
// A malformed file gives none.
std::vector<std::pair<std::uint64_t, std::uint64_t>> read_objects(const std::string& path, std::vector<std::string>* names) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st;
  void* map = fstat(fd, &st) == 0 && st.st_size > 0 ? mmap(nullptr, std::size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0)
                                                     : MAP_FAILED;
  close(fd);
  if (map == MAP_FAILED) return out;
  const auto* base = static_cast<const unsigned char*>(map);
  const std::uint64_t size = std::uint64_t(st.st_size);
  auto fits = [&](std::uint64_t off, std::uint64_t len) { return off <= size && len <= size - off; };
  Elf64_Ehdr eh;
  std::memcpy(&eh, base, std::min<std::uint64_t>(sizeof(eh), size));
  if (size >= sizeof(eh) && std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
      eh.e_shentsize == sizeof(Elf64_Shdr) && fits(eh.e_shoff, std::uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr))) {
    const auto* sh = reinterpret_cast<const Elf64_Shdr*>(base + eh.e_shoff);
    const Elf64_Shdr* table = nullptr;
    for (unsigned i = 0; i < eh.e_shnum; ++i)
      if (sh[i].sh_type == SHT_SYMTAB || (sh[i].sh_type == SHT_DYNSYM && !table)) table = &sh[i];
    if (table && table->sh_link < eh.e_shnum && fits(table->sh_offset, table->sh_size)) {
      const Elf64_Shdr& strtab = sh[table->sh_link];
      const auto* syms = reinterpret_cast<const Elf64_Sym*>(base + table->sh_offset);
      if (fits(strtab.sh_offset, strtab.sh_size))
        for (std::uint64_t i = 0; i < table->sh_size / sizeof(Elf64_Sym); ++i) {
          unsigned type = ELF64_ST_TYPE(syms[i].st_info);
          if ((type != STT_OBJECT && type != STT_TLS) || syms[i].st_size == 0 || syms[i].st_shndx == SHN_UNDEF ||
              syms[i].st_name >= strtab.sh_size)
            continue;
          const char* name = reinterpret_cast<const char*>(base + strtab.sh_offset + syms[i].st_name);
          out.emplace_back(syms[i].st_value, syms[i].st_size);
          names->emplace_back(name, strnlen(name, strtab.sh_size - syms[i].st_name));
        }
    }
  }
  munmap(map, size);
  return out;
}

}  // namespace

DataSymbol ElfDataSymbols::data_symbol(const Module& m, std::uint64_t vaddr) {
  auto it = modules_.find(m.name);
  if (it == modules_.end()) {
    std::vector<std::string> names;
    auto extents = read_objects(m.name, &names);
    std::vector<Symbol> symbols;
    for (std::size_t i = 0; i < extents.size(); ++i) symbols.push_back({extents[i].first, extents[i].second, names[i]});
    std::sort(symbols.begin(), symbols.end(), [](const Symbol& x, const Symbol& y) { return x.start < y.start; });
    it = modules_.emplace(m.name, std::move(symbols)).first;
  }
  const std::vector<Symbol>& symbols = it->second;
  auto after = std::upper_bound(symbols.begin(), symbols.end(), vaddr,
                                [](std::uint64_t v, const Symbol& s) { return v < s.start; });
  // Symbols can nest (an alias inside a larger object): look back a few for one that holds vaddr.
  for (int back = 0; after != symbols.begin() && back < 8; ++back) {
    --after;
    if (vaddr < after->start + after->size) return {after->name, after->start, after->size};
  }
  return {};
}

}  // namespace fastboot::baker
