// A 64-bit little-endian ELF file read without LLVM (the freezer has none): sections, symbol
// tables, dynamic relocations. Mapped read-only; every offset is checked against the file, and a
// malformed part reads as empty.
#pragma once

#include <elf.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fastboot::baker {

class ElfFile {
 public:
  ElfFile() = default;
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;
  ~ElfFile();

  // Maps the file; a reason on failure, "" on success.
  std::string open(const std::string& path);

  // EM_X86_64, EM_AARCH64, ...: the machine the file is for, known once its identification
  // passed (even when open() then finds its section headers malformed); 0 before.
  std::uint16_t machine() const { return machine_; }
  const std::vector<Elf64_Shdr>& sections() const { return sections_; }
  std::string_view section_name(const Elf64_Shdr& sh) const;
  // The section's bytes in the file; empty for SHT_NOBITS or when out of bounds.
  std::string_view contents(const Elf64_Shdr& sh) const;

  struct Symbol {
    std::string_view name;
    const Elf64_Sym* sym;
  };
  // Every symbol of a SHT_SYMTAB or SHT_DYNSYM section.
  void for_each_symbol(const Elf64_Shdr& table, const std::function<void(const Symbol&)>& fn) const;
  // A symbol table's entry `index`, or a null sym.
  Symbol symbol(const Elf64_Shdr& table, std::uint32_t index) const;

  // Each entry of a SHT_RELA section, and the addresses a SHT_RELR section relocates.
  void for_each_rela(const Elf64_Shdr& sh, const std::function<void(const Elf64_Rela&)>& fn) const;
  void for_each_relr(const Elf64_Shdr& sh, const std::function<void(std::uint64_t)>& fn) const;

 private:
  const unsigned char* data_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint16_t machine_ = 0;
  std::vector<Elf64_Shdr> sections_;
  std::string_view shstrtab_;
  std::string_view string_table(const Elf64_Shdr& symtab) const;
};

// The ELF machine (EM_X86_64, EM_AARCH64) of a 64-bit little-endian ELF file, 0 for anything
// else.
std::uint16_t object_machine(const std::string& path);

}  // namespace fastboot::baker
