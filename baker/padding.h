// Bytes no program reads: padding. Copies of stack temporaries carry leftovers of registers and
// stack slots there (addresses that differ between the two bake runs), which a word-by-word
// diff cannot tell from a real pointer. For allocations made by typed allocators
// (std::allocator<T>::allocate, std::make_unique<T>), the element type's layout from the
// module's DWARF says which bytes those are. A union's storage may hold a live member, so it is
// never taken for padding, nor is an empty class used as storage (abseil's AlignedType<8>).
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

// A union's storage counts as a value: which member is live is unknown.
enum class ByteUse : std::uint8_t { padding, value };

struct TypeLayout {
  std::string type_name;
  std::vector<ByteUse> bytes;  // one per byte of the type
  struct Field {
    std::uint64_t begin, end;  // bytes of the type
    std::string path;          // ".first._M_ptr", ".values[]"
  };
  std::vector<Field> fields;  // the leaf members, sorted by begin

  // The member at `offset` bytes into an array of this type ("" when none is known).
  std::string field_at(std::uint64_t offset) const;
};

class PaddingOracle {
 public:
  explicit PaddingOracle(const Dump& run);
  ~PaddingOracle();

  // The layout of the element type allocated at `site` (a return address of run A), if the
  // allocating module has debug info and the allocation went through a typed allocator.
  const TypeLayout* layout_at(std::uint64_t site);
  // The name of the type allocated at `site`, even when its layout is not fully known; "" when
  // debug information does not say.
  const std::string& type_name_at(std::uint64_t site);
  // Drops the modules' debug information read so far (their DWARF units: megabytes for a
  // program built with -g), keeping the layouts and names found; a question about another site
  // reads it again.
  void forget_debug_info();

 private:
  struct ModuleDebugInfo;
  ModuleDebugInfo* debug_info(const Module& m);

  const Dump& run_;
  std::map<std::string, std::unique_ptr<ModuleDebugInfo>> modules_;
  std::map<std::uint64_t, std::optional<TypeLayout>> layouts_;  // by site
  std::map<std::uint64_t, std::string> names_;                  // by site
};

// Zeroes, in both runs, the bytes of every typed allocation that its type's layout says no
// program reads, so leftovers there neither fail the bake nor make two bakes differ. Returns,
// per type, how many words differed between the runs only in such bytes.
std::map<std::string, std::size_t> zero_unread_bytes(Dump& a, Dump& b, PaddingOracle& oracle);

}  // namespace fastboot::baker
