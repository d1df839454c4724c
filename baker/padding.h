// Bytes no program reads: padding and the unused part of unions. Copies of stack temporaries
// carry leftovers of registers and stack slots there (addresses that differ between the two
// bake runs), which a word-by-word diff cannot tell from a real pointer. For allocations made
// by typed allocators (std::allocator<T>::allocate, std::make_unique<T>), the element type's
// layout from the module's DWARF says which bytes those are.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dump.h"

namespace llvm {
class DWARFContext;
namespace object {
template <class T>
class OwningBinary;
class ObjectFile;
}  // namespace object
}  // namespace llvm

namespace fastboot::baker {

enum class ByteUse : std::uint8_t { padding, value, union_storage };

struct TypeLayout {
  std::string type_name;
  std::vector<ByteUse> bytes;  // one per byte of the type
};

class PaddingOracle {
 public:
  explicit PaddingOracle(const Dump& run);
  ~PaddingOracle();

  // The layout of the element type allocated at `site` (a return address of run A), if the
  // allocating module has debug info and the allocation went through a typed allocator.
  const TypeLayout* layout_at(std::uint64_t site);

  // True when every byte that differs between va and vb, in the word at `offset_in_alloc` of
  // an allocation of `alloc_size` bytes made at `site` (an array of the type), is padding or
  // union storage.
  bool only_unread_bytes_differ(std::uint64_t site, std::uint64_t alloc_size, std::uint64_t offset_in_alloc,
                                std::uint64_t va, std::uint64_t vb);

 private:
  struct ModuleDebugInfo;
  ModuleDebugInfo* debug_info(const Module& m);

  const Dump& run_;
  std::map<std::string, std::unique_ptr<ModuleDebugInfo>> modules_;
  std::map<std::uint64_t, std::optional<TypeLayout>> layouts_;  // by site
};

}  // namespace fastboot::baker
