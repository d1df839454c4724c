#include "diagnose.h"

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

void report_unbakeable(Context& ctx, const Dump& a, const Classification& c,
                       const std::vector<bool>& reachable) {
  Symbolizer sym(a);
  std::size_t shown = 0, total = 0;
  for (const BadWord& w : c.bad) {
    if (!reachable[w.alloc]) continue;
    if (total++ >= ctx.opts.max_errors) continue;
    ++shown;
    error(ctx) << where(a, sym, w.alloc, w.arena_offset) << " cannot be relocated: "
               << fmt::format("{:#x} in the first bake run, {:#x} in the second; ", w.first, w.second)
               << w.kind;
  }
  if (total > shown) error(ctx) << "... and " << total - shown << " more words that cannot be relocated";
}

}  // namespace fastboot::baker
