// Why this is sound: a pair is made only between allocations of equal size reached by words at
// the same place of already paired objects, pointing at the same offset inside them, so the
// pairing is the one the two heaps' pointer graphs agree on. Whatever does not agree (a pointer
// to another object, a value computed from timing) is left for the diff, which refuses it.
#include "match.h"

#include "diff.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

namespace fastboot::baker {

namespace {

constexpr std::size_t kNone = ~std::size_t(0);

// A global the initializers changed in both runs: its word in each (in run A's order).
struct GlobalPair {
  const protocol::DumpGlobal* a;
  protocol::DumpGlobal* b;
};

std::vector<GlobalPair> pair_globals(const Dump& a, Dump& b) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, protocol::DumpGlobal*> in_b;
  for (auto& g : b.globals) in_b[{g.module, g.offset}] = &g;
  std::vector<GlobalPair> out;
  for (const auto& g : a.globals)
    if (auto it = in_b.find({g.module, g.offset}); it != in_b.end()) out.push_back({&g, it->second});
  return out;
}

struct Target {
  std::size_t alloc = kNone;
  std::uint64_t interior = 0;
  bool end = false;  // one past the allocation's end
};

class Side {
 public:
  explicit Side(const Dump& d) : d_(d), index_(d.allocs, d.arena.size()) {}

  std::uint64_t word(std::uint64_t off) const {
    std::uint64_t v = 0;
    if (off + 8 <= d_.arena.size()) std::memcpy(&v, d_.arena.data() + off, 8);
    return v;
  }

  // What an address can point at: the allocation it lies in (or starts), and the one it is one
  // past the end of. At most two.
  int targets(std::uint64_t v, Target out[2]) const {
    v = untagged(v);
    if (v < d_.arena_base || v - d_.arena_base > d_.arena.size()) return 0;
    std::uint64_t t = v - d_.arena_base;
    std::size_t i = index_.at_or_before(t);
    if (i == AllocIndex::kNone) return 0;
    const auto& allocs = d_.allocs;
    int n = 0;
    if (t < allocs[i].offset + allocs[i].size || t == allocs[i].offset) out[n++] = {i, t - allocs[i].offset, false};
    // One past the end, where no allocation can begin (the size is no multiple of 16): no other
    // reading, so it pairs like an interior address (a 1-byte object tagged with 1).
    else if (t == allocs[i].offset + allocs[i].size) out[n++] = {i, allocs[i].size, allocs[i].size % 16 == 0};
    else if (t < alloc_end(allocs[i])) out[n++] = {i, t - allocs[i].offset, false};  // flags past a small object
    if (t == allocs[i].offset && i > 0 && allocs[i - 1].offset + allocs[i - 1].size == t)
      out[n++] = {i - 1, allocs[i - 1].size, true};
    return n;
  }

 private:
  const Dump& d_;
  AllocIndex index_;
};

class Matcher {
 public:
  Matcher(const Dump& a, const Dump& b) : a_(a), b_(b), sa_(a), sb_(b) {
    pair_a_.assign(a.allocs.size(), kNone);
    pair_b_.assign(b.allocs.size(), kNone);
  }

  // Pairs what the two words point at, if they agree; queues new pairs. An address where one
  // allocation ends and the next begins is ambiguous: it waits until the unambiguous pointers
  // have paired what they can, and those whose object also points into the allocation that ends
  // there (a vector's end beside its begin) wait longest. Then it reads as the next allocation if
  // that is already this pair or can become one; else it may be the end of the one before, which
  // needs no pairing of its own.
  void follow(std::uint64_t va, std::uint64_t vb, bool defer) {
    Target ta[2], tb[2];
    int na = sa_.targets(va, ta), nb = sb_.targets(vb, tb);
    if (!na || !nb) return;
    const Target* x0 = find_reading(ta, na, 0);
    const Target* y0 = find_reading(tb, nb, 0);
    const Target* x1 = find_reading(ta, na, 1);
    if (defer && (na > 1 || nb > 1)) {
      bool holder_points_into_end = false;
      if (x1 && holder_ != kNone) {
        const std::vector<std::size_t>& inside = holder_inside();
        holder_points_into_end = std::binary_search(inside.begin(), inside.end(), x1->alloc);
      }
      (holder_points_into_end ? late_ : early_).push_back({va, vb});
      return;
    }
    auto agree = [&](const Target* x, const Target* y) {
      return x && y && x->interior == y->interior && pair_a_[x->alloc] == y->alloc;
    };
    auto can_pair = [&](const Target* x, const Target* y) {
      return x && y && x->interior == y->interior && pair_a_[x->alloc] == kNone && pair_b_[y->alloc] == kNone &&
             a_.allocs[x->alloc].size == b_.allocs[y->alloc].size;
    };
    // Else the word may be an end (x1, y1), which needs nothing: an end never makes a pair,
    // since objects of one size side by side would pair at random.
    if (!agree(x0, y0) && can_pair(x0, y0)) pair(x0->alloc, y0->alloc);
  }

  static const Target* find_reading(const Target* t, int n, int reading) {
    for (int k = 0; k < n; ++k)
      if (t[k].end == (reading == 1)) return &t[k];
    return nullptr;
  }

  void pair(std::size_t i, std::size_t j) {
    pair_a_[i] = j;
    pair_b_[j] = i;
    order_.push_back(i);
  }

  // Breadth first from the pairs made so far: every word of every paired object, in order;
  // the ambiguous ones after the rest, in the order they were met.
  void walk() {
    std::size_t next = 0, next_early = 0, next_late = 0;
    for (;;) {
      for (; next < order_.size(); ++next) {
        std::size_t i = order_[next], j = pair_a_[i];
        const auto& x = a_.allocs[i];
        const auto& y = b_.allocs[j];
        holder_ = i;
        inside_ready_ = false;
        for (std::uint64_t k = 0; k + 8 <= x.size; k += 8) follow(sa_.word(x.offset + k), sb_.word(y.offset + k), true);
      }
      holder_ = kNone;
      if (next_early < early_.size()) follow(early_[next_early].first, early_[next_early].second, false), ++next_early;
      else if (next_late < late_.size()) follow(late_[next_late].first, late_[next_late].second, false), ++next_late;
      else break;
    }
  }

  // The paired allocations breadth first from the roots (then the restored globals' targets),
  // following in each object, in order, the words whose targets the two runs agree on. Unlike
  // the order pairs were made in, this does not depend on which addresses happened to be
  // ambiguous in run A's layout, so it is the same in every bake.
  // Also lists the words (run A arena offsets) that the runs agree point one past the end of
  // an allocation where another begins: compaction must keep them at that end.
  // When both readings of such a word agree in both runs, the bytes cannot tell which was meant:
  // `glued` lists (the allocation that ends there, the one that begins), to stay side by side.
  std::vector<std::size_t> logical_order(const Dump& a, const Dump& b, const std::vector<GlobalPair>& globals,
                                         std::vector<std::uint64_t>* end_words,
                                         std::vector<std::pair<std::size_t, std::size_t>>* glued) const {
    std::vector<std::size_t> order;
    std::vector<bool> seen(a.allocs.size(), false);
    auto visit = [&](std::uint64_t va, std::uint64_t vb, std::uint64_t word) {
      Target ta[2], tb[2];
      int na = sa_.targets(va, ta), nb = sb_.targets(vb, tb);
      const Target* agreed[2] = {nullptr, nullptr};
      int n = 0;
      for (int x = 0; x < na; ++x)
        for (int y = 0; y < nb; ++y)
          if (pair_a_[ta[x].alloc] == tb[y].alloc && ta[x].interior == tb[y].interior && n < 2) agreed[n++] = &ta[x];
      if (n == 0) return;
      if (n == 2) glued->push_back({agreed[1]->alloc, agreed[0]->alloc});  // targets(): start first, then end
      else if (agreed[0]->end && na > 1 && word != kNone) end_words->push_back(word);
      std::size_t next = agreed[0]->alloc;
      if (!seen[next]) seen[next] = true, order.push_back(next);
    };
    for (std::size_t r = 0; r < a.roots.size(); ++r)
      visit(a.arena_base + a.roots[r].object_offset, b.arena_base + b.roots[r].object_offset, kNone);
    for (const GlobalPair& g : globals) visit(g.a->after, g.b->after, kNone);
    for (std::size_t next = 0; next < order.size(); ++next) {
      std::size_t i = order[next];
      const auto& x = a.allocs[i];
      const auto& y = b.allocs[pair_a_[i]];
      for (std::uint64_t k = 0; k + 8 <= x.size; k += 8)
        visit(sa_.word(x.offset + k), sb_.word(y.offset + k), x.offset + k);
    }
    std::sort(end_words->begin(), end_words->end());
    return order;
  }

  // What the object being walked points into (run A), sorted: worked out the first time one of
  // its words is ambiguous.
  const std::vector<std::size_t>& holder_inside() {
    if (!inside_ready_) {
      inside_.clear();
      const auto& x = a_.allocs[holder_];
      for (std::uint64_t k = 0; k + 8 <= x.size; k += 8) {
        Target t[2];
        int n = sa_.targets(sa_.word(x.offset + k), t);
        for (int q = 0; q < n; ++q)
          if (!t[q].end) inside_.push_back(t[q].alloc);
      }
      std::sort(inside_.begin(), inside_.end());
      inside_ready_ = true;
    }
    return inside_;
  }

  // Why two words that are arena addresses in both runs could not be paired (what they point to
  // in each run); empty if they were.
  std::string why_unpaired(std::uint64_t va, std::uint64_t vb) const {
    Target ta[2], tb[2];
    int na = sa_.targets(va, ta), nb = sb_.targets(vb, tb);
    if (!na || !nb) return "";
    for (int x = 0; x < na; ++x)
      for (int y = 0; y < nb; ++y)
        if (pair_a_[ta[x].alloc] == tb[y].alloc && ta[x].interior == tb[y].interior) return "";
    const auto& x = a_.allocs[ta[0].alloc];
    const auto& y = b_.allocs[tb[0].alloc];
    if (x.size != y.size)
      return fmt::format("an object of {} bytes in the first run and of {} bytes in the second", x.size, y.size);
    return "objects that the rest of the two heaps do not match, or another place in them";
  }

  // Run B's word, pointing into run B's layout, as the same pointer in run A's layout.
  std::uint64_t translate(std::uint64_t vb, std::uint64_t va) const {
    Target tb[2];
    int nb = sb_.targets(vb, tb);
    std::uint64_t fallback = vb;
    bool have_fallback = false;
    for (int y = 0; y < nb; ++y) {
      std::size_t i = pair_b_[tb[y].alloc];
      if (i == kNone) continue;
      std::uint64_t moved = b_.arena_base + a_.allocs[i].offset + tb[y].interior;
      moved |= tag_of(vb);
      if (va - a_.arena_base == moved - b_.arena_base) return moved;  // what run A's word says
      if (!have_fallback) fallback = moved, have_fallback = true;
    }
    return fallback;
  }

  std::vector<std::size_t> pair_a_, pair_b_, order_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> early_, late_;  // ambiguous words
  std::size_t holder_ = kNone;  // the object walk() is reading
  bool inside_ready_ = false;
  std::vector<std::size_t> inside_;
  const Dump &a_, &b_;
  Side sa_, sb_;
};

}  // namespace

HeapMatch match_heaps(Context& ctx, const Dump& a, Dump& b) {
  HeapMatch out;
  bool same = a.allocs.size() == b.allocs.size() && a.arena.size() == b.arena.size();
  for (std::size_t i = 0; same && i < a.allocs.size(); ++i)
    same = a.allocs[i].offset == b.allocs[i].offset && a.allocs[i].size == b.allocs[i].size;
  // Threads that split their work by timing, or the locale and time-zone variables the second
  // run varied (a library that keeps the locale's name allocates by its length), move objects.
  bool moved_by = a.threads_started || b.threads_started || !varied_variables_read(ctx).empty();
  if (same || a.roots.size() != b.roots.size() || !moved_by) return out;
  Timer timer(ctx, "  match heaps");
  out.used = true;

  Matcher m(a, b);
  std::optional<Timer> step(std::in_place, ctx, "    pair objects");
  for (std::size_t r = 0; r < a.roots.size(); ++r)
    m.follow(a.arena_base + a.roots[r].object_offset, b.arena_base + b.roots[r].object_offset, false);
  const std::vector<GlobalPair> globals = pair_globals(a, b);
  for (const GlobalPair& g : globals) m.follow(g.a->after, g.b->after, false);
  m.walk();
  // With no ambiguous address met, the order pairs were made in is already the logical one.
  step.emplace(ctx, "    order of the image");
  if (m.early_.empty() && m.late_.empty()) out.order = m.order_;
  else out.order = m.logical_order(a, b, globals, &out.end_words, &out.glued);
  step.emplace(ctx, "    rewrite run B");

  // Run B in run A's layout: each paired object at its partner's offset, its pointers moved.
  Bytes arena(a.arena.size());
  for (std::size_t i = 0; i < a.allocs.size(); ++i) {
    std::size_t j = m.pair_a_[i];
    if (j == kNone) {
      ++out.unmatched;
      continue;
    }
    const auto& x = a.allocs[i];
    const auto& y = b.allocs[j];
    std::uint64_t n = std::min<std::uint64_t>(x.size, b.arena.size() - y.offset);
    std::memcpy(arena.data() + x.offset, b.arena.data() + y.offset, n);
    for (std::uint64_t k = 0; k + 8 <= n && x.offset + k + 8 <= arena.size(); k += 8) {
      std::uint64_t vb = m.sb_.word(y.offset + k), va = m.sa_.word(x.offset + k);
      if (std::string why = m.why_unpaired(va, vb); !why.empty()) out.unpaired[x.offset + k] = why;
      std::uint64_t moved = m.translate(vb, va);
      std::memcpy(arena.data() + x.offset + k, &moved, 8);
    }
  }
  out.keep_low_bits.assign(a.allocs.size(), true);
  for (std::size_t i = 0; i < a.allocs.size(); ++i)
    if (m.pair_a_[i] != kNone) out.keep_low_bits[i] = (a.allocs[i].offset - b.allocs[m.pair_a_[i]].offset) % 256 == 0;

  // Run B's globals are only ever read beside run A's (globals.cc), so only those are moved.
  for (const GlobalPair& g : globals) g.b->after = m.translate(g.b->after, g.a->after);
  for (std::size_t r = 0; r < b.roots.size(); ++r) b.roots[r].object_offset = a.roots[r].object_offset;
  b.allocs = a.allocs;
  b.arena = std::move(arena);
  return out;
}

}  // namespace fastboot::baker
