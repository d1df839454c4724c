// How each module pointer will be found again at startup: the module's identity (soname and
// build-id) and, for shared libraries, the exported symbol the pointer lies in, so the pointer
// survives an update of the library that keeps the symbol.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"
#include "diff.h"
#include "dump.h"

namespace fastboot::baker {

struct ExportedSymbol {
  std::string name;
  std::uint64_t value, size;  // relative to the load bias
};

struct ResolvedModule {
  std::uint32_t module;  // index into the dump's modules
  bool is_executable;
  std::string name;      // soname of a library ("executable" for the program)
  std::vector<std::uint8_t> build_id;
};

struct Resolution {
  std::vector<ResolvedModule> modules;      // those pointed into, in pointer order
  std::vector<ExportedSymbol> symbols;      // referenced by symbol_of
  std::vector<std::uint32_t> symbol_of;     // per module pointer: index into symbols, or ~0u
  std::size_t pointers_without_symbol = 0;  // into libraries, resolvable by build-id only
};

// Modules are listed in the order of the module pointers, then the modules in `also` (those
// whose globals are restored) that no pointer targets.
Resolution resolve_modules(Context& ctx, const Dump& a, const Classification& c,
                           const std::vector<std::uint32_t>& also = {});

// The soname and exported (dynamic, defined, default-visible) symbols of a shared library,
// sorted by address.
struct LibraryInfo {
  std::string soname;
  std::vector<ExportedSymbol> exported;
};
LibraryInfo read_library(Context& ctx, const std::string& path);

// The exported symbol whose extent holds `target`, or null.
const ExportedSymbol* symbol_at(const LibraryInfo& lib, std::uint64_t target);

}  // namespace fastboot::baker
