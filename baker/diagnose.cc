#include "diagnose.h"

#include "padding.h"
#include "symbolize.h"

#include <cstring>
#include <map>
#include <set>
#include <tuple>

namespace fastboot::baker {

namespace {

// "root 'dict': word at offset 8 of a 32-byte object (arena offset 0x40, allocated by
// make() at main.cc:12)"
std::string where(const Dump& a, Symbolizer& sym, PaddingOracle& types, std::size_t alloc_index, std::uint64_t off) {
  const auto& alloc = a.allocs[alloc_index];
  std::string root = alloc.root < a.roots.size() ? a.roots[alloc.root].name : "?";
  if (alloc.flags & protocol::kAllocRootObject)
    return fmt::format("root '{}': word at offset {} of the root's value of {} bytes (arena offset {:#x})",
                       root, off - alloc.offset, alloc.size, off);
  // With the allocated type known: which element and member the word is.
  std::string member;
  if (const TypeLayout* t = types.layout_at(a.site_of(alloc)); t && alloc.size % t->bytes.size() == 0) {
    std::uint64_t in = off - alloc.offset, n = t->bytes.size();
    std::string field = t->field_at(in);
    member = alloc.size == n ? fmt::format(", {}{}", t->type_name, field)
                             : fmt::format(", element {} of {} {}{}", in / n, alloc.size / n, t->type_name, field);
  }
  return fmt::format("root '{}': word at offset {} of an object of {} bytes (arena offset {:#x}, allocated by {}{})",
                     root, off - alloc.offset, alloc.size, off, sym.describe(a.site_of(alloc)), member);
}

// "root 'dict' → at +8: an object of 32 bytes allocated by make() at main.cc:12 → ..."
std::string reached_by(const Dump& a, Symbolizer& sym, PaddingOracle& types, const Reachability& reach,
                       std::size_t index) {
  if (reach.parent.size() != a.allocs.size()) return "a root or a restored global (the path was not recorded)";
  std::vector<std::string> hops;  // from the object back to its root
  for (std::size_t i = index, guard = 0; guard < 10000; ++guard) {
    const auto& alloc = a.allocs[i];
    const Reachability::Edge& e = reach.parent[i];
    if (e.from == Reachability::kNone) {
      if (alloc.flags & protocol::kAllocRootObject)
        hops.push_back(fmt::format("root '{}'", alloc.root < a.roots.size() ? a.roots[alloc.root].name : "?"));
      else
        hops.push_back(fmt::format("{} → an object of {} bytes allocated by {}",
                                   e.global < reach.global_names.size() ? reach.global_names[e.global]
                                                                        : std::string("a global restored at startup"),
                                   alloc.size, sym.describe(a.site_of(alloc))));
      break;
    }
    // Name the member that holds the pointer when the holder's type is known.
    std::string field;
    if (const TypeLayout* t = types.layout_at(a.site_of(a.allocs[e.from]))) field = t->field_at(e.offset);
    hops.push_back(fmt::format("at +{}{}: an object of {} bytes allocated by {}", e.offset,
                               field.empty() ? "" : " (" + field + ")", alloc.size, sym.describe(a.site_of(alloc))));
    i = e.from;
  }
  std::string path;
  std::size_t n = hops.size();
  for (std::size_t k = 0; k < n; ++k) {
    if (n > 6 && k == 2) {
      path += fmt::format(" → ... ({} more)", n - 5);
      k = n - 4;
      continue;
    }
    path += (k ? " → " : "") + hops[n - 1 - k];
  }
  return path;
}

}  // namespace

void report_unbakeable(Context& ctx, const Dump& a, const Classification& c, const Reachability& reach) {
  Symbolizer sym(a);
  PaddingOracle types(a);
  // One error per allocation site and kind of value: a million bad words from one place read
  // as one line with a count.
  struct Group {
    const BadWord* first;
    std::size_t words = 0;
    std::set<std::size_t> objects;
  };
  std::vector<Group> groups;
  // Keyed by site and kind, and by root for the roots' own values (all allocated at one site).
  std::map<std::tuple<std::uint64_t, std::string, std::uint32_t>, std::size_t> index;
  for (const BadWord& w : c.bad) {
    if (!reach.reached[w.alloc]) continue;
    const auto& alloc = a.allocs[w.alloc];
    std::uint32_t root = (alloc.flags & protocol::kAllocRootObject) ? alloc.root : ~0u;
    auto [it, fresh] = index.try_emplace({std::uint64_t(alloc.site), w.kind, root}, groups.size());
    if (fresh) groups.push_back(Group{&w, 0, {}});
    Group& g = groups[it->second];
    ++g.words;
    g.objects.insert(w.alloc);
  }
  std::size_t shown = std::min(groups.size(), ctx.opts.max_errors), hidden_words = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const Group& g = groups[i];
    if (i >= shown) {
      hidden_words += g.words;
      continue;
    }
    const BadWord& w = *g.first;
    std::string more = g.words == 1 ? ""
                                    : fmt::format(" ({} more word{} like it in {} object{} allocated there)", g.words - 1,
                                                  g.words == 2 ? "" : "s", g.objects.size(), g.objects.size() == 1 ? "" : "s");
    error(ctx) << where(a, sym, types, w.alloc, w.arena_offset) << " cannot be relocated: "
               << fmt::format("{:#x} in the first bake run, {:#x} in the second; ", w.first, w.second) << w.kind
               << more << "; reached by " << reached_by(a, sym, types, reach, w.alloc);
  }
  if (groups.size() > shown)
    error(ctx) << "... and " << hidden_words << " more words that cannot be relocated, from "
               << groups.size() - shown << " more allocation sites";
}

void report_bake_state(Context& ctx, const Dump& a, const Reachability& reach,
                       const std::vector<BakeStatePointer>& found) {
  if (found.empty()) return;
  Symbolizer sym(a);
  PaddingOracle types(a);
  // One error per piece of state pointed at, with the first word that points there.
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::vector<const BakeStatePointer*>> by_target;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> order;
  for (const BakeStatePointer& p : found) {
    std::pair<std::uint32_t, std::uint64_t> key{p.module, p.symbol.empty() ? p.target : 0};
    auto& words = by_target[key];
    if (words.empty()) order.push_back(key);
    words.push_back(&p);
  }
  std::size_t shown = std::min(order.size(), ctx.opts.max_errors);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& words = by_target[order[i]];
    const BakeStatePointer& p = *words.front();
    std::string more = words.size() == 1 ? "" : fmt::format(" ({} more word{} point there)", words.size() - 1,
                                                            words.size() == 2 ? "" : "s");
    error(ctx) << where(a, sym, types, p.alloc, p.arena_offset) << " points to " << describe_bake_state(a, p)
               << ", which the bake itself initialized; the baked program would find it uninitialized" << more
               << "; reached by " << reached_by(a, sym, types, reach, p.alloc) << ". " << kBakeStateAdvice;
  }
  if (order.size() > shown)
    error(ctx) << "... and " << order.size() - shown << " more pieces of state the bake initialized are pointed at";
}

}  // namespace fastboot::baker
