// Data symbols (global variables) by address: which object a changed word of a module's
// writable data belongs to, so an object is judged whole. The baker asks LLVM's symbolizer
// (symbolize.h); the freezer, which runs without LLVM, reads the ELF symbol table itself.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dump.h"

namespace fastboot::baker {

struct DataSymbol {
  std::string name;
  std::uint64_t start = 0, size = 0;  // relative to the module's load bias; size 0 = unknown
};

class DataSymbols {
 public:
  virtual ~DataSymbols() = default;
  // The data symbol at vaddr in module m; an empty name when none is known.
  virtual DataSymbol data_symbol(const Module& m, std::uint64_t vaddr) = 0;
};

// The sized object symbols of each module's file (.symtab, else .dynsym), names not demangled.
class ElfDataSymbols : public DataSymbols {
 public:
  DataSymbol data_symbol(const Module& m, std::uint64_t vaddr) override;
  // The object symbol of that name in module m; an empty name when there is none.
  DataSymbol named(const Module& m, const std::string& name);

 private:
  struct Symbol {
    std::uint64_t start, size;
    std::string name;
  };
  const std::vector<Symbol>& symbols_of(const Module& m);
  std::map<std::string, std::vector<Symbol>> modules_;  // by path, sorted by start
};

}  // namespace fastboot::baker
