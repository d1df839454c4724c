#include "elf-file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fastboot::baker {

ElfFile::~ElfFile() {
  if (data_) munmap(const_cast<unsigned char*>(data_), size_);
}

std::string ElfFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return path + ": " + std::strerror(errno);
  struct stat st;
  void* map = fstat(fd, &st) == 0 && st.st_size > 0 ? mmap(nullptr, std::size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0)
                                                     : MAP_FAILED;
  close(fd);
  if (map == MAP_FAILED) return path + ": cannot map the file";
  data_ = static_cast<const unsigned char*>(map);
  size_ = std::uint64_t(st.st_size);
  Elf64_Ehdr eh;
  if (size_ < sizeof(eh)) return "not an ELF file";
  std::memcpy(&eh, data_, sizeof(eh));
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return "not a 64-bit little-endian ELF file";
  machine_ = eh.e_machine;
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > size_ ||
      std::uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr) > size_ - eh.e_shoff)
    return "its section headers are malformed";
  sections_.resize(eh.e_shnum);
  if (eh.e_shnum) std::memcpy(sections_.data(), data_ + eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr));
  if (eh.e_shstrndx < sections_.size()) shstrtab_ = contents(sections_[eh.e_shstrndx]);
  return "";
}

std::string_view ElfFile::contents(const Elf64_Shdr& sh) const {
  if (sh.sh_type == SHT_NOBITS || sh.sh_offset > size_ || sh.sh_size > size_ - sh.sh_offset) return {};
  return {reinterpret_cast<const char*>(data_ + sh.sh_offset), sh.sh_size};
}

std::string_view ElfFile::section_name(const Elf64_Shdr& sh) const {
  if (sh.sh_name >= shstrtab_.size()) return {};
  std::string_view rest = shstrtab_.substr(sh.sh_name);
  return rest.substr(0, rest.find('\0'));
}

std::string_view ElfFile::string_table(const Elf64_Shdr& symtab) const {
  return symtab.sh_link < sections_.size() ? contents(sections_[symtab.sh_link]) : std::string_view();
}

ElfFile::Symbol ElfFile::symbol(const Elf64_Shdr& table, std::uint32_t index) const {
  std::string_view bytes = contents(table);
  if (std::uint64_t(index + 1) * sizeof(Elf64_Sym) > bytes.size()) return {{}, nullptr};
  const auto* sym = reinterpret_cast<const Elf64_Sym*>(bytes.data()) + index;
  std::string_view strings = string_table(table);
  if (sym->st_name >= strings.size()) return {{}, sym};
  std::string_view rest = strings.substr(sym->st_name);
  return {rest.substr(0, rest.find('\0')), sym};
}

void ElfFile::for_each_symbol(const Elf64_Shdr& table, const std::function<void(const Symbol&)>& fn) const {
  std::uint64_t count = contents(table).size() / sizeof(Elf64_Sym);
  for (std::uint64_t i = 0; i < count; ++i) fn(symbol(table, std::uint32_t(i)));
}

void ElfFile::for_each_rela(const Elf64_Shdr& sh, const std::function<void(const Elf64_Rela&)>& fn) const {
  std::string_view bytes = contents(sh);
  for (std::uint64_t at = 0; at + sizeof(Elf64_Rela) <= bytes.size(); at += sizeof(Elf64_Rela)) {
    Elf64_Rela r;
    std::memcpy(&r, bytes.data() + at, sizeof(r));
    fn(r);
  }
}

void ElfFile::for_each_relr(const Elf64_Shdr& sh, const std::function<void(std::uint64_t)>& fn) const {
  // An even entry is an address (relocated, and the bitmaps after it start at the next word);
  // an odd one is a bitmap of the 63 words from there.
  std::string_view bytes = contents(sh);
  std::uint64_t next = 0;
  for (std::uint64_t at = 0; at + 8 <= bytes.size(); at += 8) {
    std::uint64_t entry;
    std::memcpy(&entry, bytes.data() + at, 8);
    if ((entry & 1) == 0) {
      fn(entry);
      next = entry + 8;
      continue;
    }
    for (unsigned i = 0; (entry >>= 1) != 0; ++i)
      if (entry & 1) fn(next + i * 8);
    next += 63 * 8;
  }
}

std::uint16_t object_machine(const std::string& path) {
  ElfFile file;
  file.open(path);
  return file.machine();
}

}  // namespace fastboot::baker
