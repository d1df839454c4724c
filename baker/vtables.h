// Vtable copies: objects with virtual functions point into the executable's vtables, and in a
// position-independent executable those addresses move with every start, so each object's
// vtable pointer would be written at startup (1,000,000 objects: 1,000,000 words, and every
// page of them copied). Instead the image carries a copy of each vtable the heap uses, in the
// arena, and the objects point into the copies: arena pointers, which need nothing at the
// preferred base. Only the copies' own entries (function pointers, type_info pointers) are
// relocated at startup: the cost grows with the number of classes, not of objects.
//
// Everything a program does with a vtable pointer keeps working: virtual calls, typeid and
// dynamic_cast read the entries, which are the real functions and type_info objects; the
// copy has the layout of the whole vtable group, so secondary vtables and virtual-base
// offsets are where the objects expect them. What differs is the vtable pointer's value, so
// code that compares it with a vtable's address sees a difference: clang 17 and later compile
// dynamic_cast to a final class that way, so programs that clang made are never given copies,
// and neither is anything whose vtable cannot be read exactly (see copy_vtables()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"
#include "diff.h"
#include "dump.h"

namespace fastboot::baker {

// Set by the baker on the allocations it adds for vtable copies (beside the runtime's flags).
inline constexpr std::uint32_t kAllocVtableCopy = 1u << 8;

struct VtableCopy {
  std::string name;            // the class, "Circle"
  std::uint64_t vaddr = 0;     // the vtable group in the executable, relative to its load bias
  std::uint64_t size = 0;
  std::uint64_t arena_offset = 0;  // the copy
  std::uint64_t objects = 0;       // vtable pointers redirected to it
};

struct VtableCopies {
  std::vector<VtableCopy> copies;   // by arena offset
  std::uint64_t redirected = 0;     // vtable pointers that no longer need writing at startup
  std::string not_copied;           // why vtables were left in place, if they were
  const VtableCopy* at(std::uint64_t arena_offset) const;  // the copy holding an arena offset
};

// After compaction: appends the copies to a's arena (a page of their own, as allocations
// flagged kAllocVtableCopy), points every vtable pointer into the executable at them, and
// replaces those module pointers in c by the copies' entries. Leaves everything as it was for
// a program linked at a fixed address (nothing is written at its start anyway), for a program
// without a symbol table, for a program built by clang 17 or later, and for each vtable that
// holds a relocation it does not know.
VtableCopies copy_vtables(Context& ctx, Dump& a, Classification& c);

}  // namespace fastboot::baker
