// Names code addresses of a bake run (allocation sites) with LLVM's symbolizer: function and
// file:line when debug info exists, else module + offset.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dump.h"

namespace llvm::symbolize {
class LLVMSymbolizer;
}

namespace fastboot::baker {

class Symbolizer {
 public:
  explicit Symbolizer(const Dump& run);
  ~Symbolizer();
  // "make_table() at main.cc:12", "f() in libfoo.so+0x1234" or "0x7f..." for unknown code.
  std::string describe(std::uint64_t return_address);

 private:
  const Dump& run_;
  std::unique_ptr<llvm::symbolize::LLVMSymbolizer> impl_;
};

}  // namespace fastboot::baker
