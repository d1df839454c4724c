#include "diagnose.h"

#include "padding.h"
#include "symbolize.h"

#include <cstring>
#include <map>

namespace fastboot::baker {

namespace {

// "root 'dict': word at offset 8 of a 32-byte object (arena offset 0x40, allocated by
// make() at main.cc:12)"
std::string where(const Dump& a, Symbolizer& sym, std::size_t alloc_index, std::uint64_t off) {
  const auto& alloc = a.allocs[alloc_index];
  std::string root = alloc.root < a.roots.size() ? a.roots[alloc.root].name : "?";
  if (alloc.flags & protocol::kAllocRootObject)
    return fmt::format("root '{}': word at offset {} of the root's value of {} bytes (arena offset {:#x})",
                       root, off - alloc.offset, alloc.size, off);
  return fmt::format("root '{}': word at offset {} of an object of {} bytes (arena offset {:#x}, allocated by {})",
                     root, off - alloc.offset, alloc.size, off, sym.describe(alloc.site));
}

}  // namespace

void report_unbakeable(Context& ctx, Dump& a, const Classification& c,
                       const std::vector<bool>& reachable) {
  Symbolizer sym(a);
  PaddingOracle padding(a);
  std::size_t shown = 0, total = 0;
  std::map<std::string, std::size_t> unread;  // type -> words differing only in unread bytes
  for (const BadWord& w : c.bad) {
    if (!reachable[w.alloc]) continue;
    const auto& alloc = a.allocs[w.alloc];
    if (padding.only_unread_bytes_differ(alloc.site, alloc.size, w.arena_offset - alloc.offset, w.first, w.second)) {
      // Leftovers of registers or stack slots: keep the bytes both runs agree on, zero the rest.
      std::uint64_t same = 0;
      for (int b = 0; b < 8; ++b)
        if (((w.first ^ w.second) >> (8 * b) & 0xff) == 0) same |= 0xffull << (8 * b);
      std::uint64_t value = w.first & same;
      std::memcpy(a.arena.data() + w.arena_offset, &value, std::min<std::size_t>(8, a.arena.size() - w.arena_offset));
      ++unread[padding.layout_at(alloc.site)->type_name];
      continue;
    }
    if (total++ >= ctx.opts.max_errors) continue;
    ++shown;
    error(ctx) << where(a, sym, w.alloc, w.arena_offset) << " cannot be relocated: "
               << fmt::format("{:#x} in the first bake run, {:#x} in the second; ", w.first, w.second)
               << w.kind;
  }
  if (total > shown) error(ctx) << "... and " << total - shown << " more words that cannot be relocated";
  for (const auto& [type, count] : unread)
    note(ctx) << count << " word" << (count == 1 ? "" : "s") << " of " << type << " objects differ between "
              << "the bake runs only in padding or unused union bytes (leftovers of registers and "
              << "stack); those bytes are zeroed in the image";
}

}  // namespace fastboot::baker
