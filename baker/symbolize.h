// Names code addresses of a bake run (allocation sites) with LLVM's symbolizer: function and
// file:line when debug info exists, else module + offset.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dump.h"
#include "symbols.h"

namespace llvm::symbolize {
class LLVMSymbolizer;
}

namespace fastboot::baker {

class Symbolizer : public DataSymbols {
 public:
  explicit Symbolizer(const Dump& run);
  ~Symbolizer();
  struct Site {
    // "make_table() at main.cc:12", "f() in libfoo.so+0x1234" or "0x7f..." for unknown code.
    std::string description;
    // The function the call is in, innermost inlined frame ("std::__new_allocator<Node>::
    // allocate(unsigned long, void const*)"); "" if unknown.
    std::string function;
  };
  // The call before `return_address`.
  Site site(std::uint64_t return_address);
  std::string describe(std::uint64_t return_address) { return site(return_address).description; }

  using DataSymbol = baker::DataSymbol;
  // The data symbol (global variable) at vaddr in module m, if the module has a symbol table.
  DataSymbol data_symbol(const Module& m, std::uint64_t vaddr) override;
  // Drops what was read of the modules' files (symbol tables, debug information: megabytes per
  // library); a later question reads them again.
  void forget();

 private:
  const Dump& run_;
  std::unique_ptr<llvm::symbolize::LLVMSymbolizer> impl_;
};

}  // namespace fastboot::baker
