// The freezer's run against the program's run (see first-run.h). The freezer's process never ran
// main, has an empty standard input and no arguments; when the initializer depends on any of
// these, or on state main set before the first access, the two values differ, and an image of
// the freezer's would serve later runs a value they would not have built.
#include "first-run.h"

#include <algorithm>
#include <cstring>
#include <deque>

#include "fastboot/bake-protocol.h"

namespace fastboot::baker {

namespace {

namespace proto = fastboot::protocol;

constexpr const char* kCause =
    "; the initializer depends on something only the program's own run had: its arguments, its standard "
    "input, or state main set before the first access (a global, the C locale, the random seed). A frozen root "
    "must be built from files and environment variables only; pass what it needs as a key "
    "(fastboot::frozen_map) or read it outside the initializer";

// Which kind of place an address, or an upper half of one, is in: a protocol::k*Range + 1, or 0.
std::uint64_t place_of(std::uint64_t v, const std::vector<proto::AddressRange>& ranges) {
  for (const proto::AddressRange& r : ranges)
    if (v >= r.lo && v < r.hi) return r.kind + 1;
  return 0;
}
// The kinds of place (a bit per protocol::k*Range) whose addresses have these upper bits (x >> low).
std::uint64_t places_of_upper(std::uint64_t x, unsigned low, const std::vector<proto::AddressRange>& ranges) {
  std::uint64_t upper = x >> low, kinds = 0;
  if (!upper) return 0;
  for (const proto::AddressRange& r : ranges)
    if (upper >= (r.lo >> low) && upper <= ((r.hi - 1) >> low)) kinds |= std::uint64_t(1) << r.kind;
  return kinds;
}

// A run of unsigned LEB128 numbers (FirstRunObject::pointers_offset); bad once one runs past the
// end or past 64 bits, and zeros from then on.
struct Numbers {
  const unsigned char *at, *end;
  bool bad = false;
  Numbers(const unsigned char* from, const unsigned char* to) : at(from), end(to) {}
  std::uint64_t next() {
    std::uint64_t v = 0;
    for (unsigned shift = 0; !bad; shift += 7) {
      if (at == end || shift > 63) return bad = true, 0;
      const unsigned char b = *at++;
      v |= std::uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return 0;
  }
};

}  // namespace

std::string site_name(const Dump& run, std::uint64_t site) {
  const Module* m = module_holding(run, site);
  if (!m) return fmt::format("{:#x}", site);
  std::string name = m->name.substr(m->name.rfind('/') + 1);
  return fmt::format("{}+{:#x}", name, site - m->bias);
}

void compare_with_first_run(Context& ctx, const Dump& run, const unsigned char* bytes, std::uint64_t size) {
  proto::FirstRunHeader h;
  auto damaged = [&] { error(ctx) << "the description of the value the program's run built is damaged"; };
  if (size < sizeof(h)) return damaged();
  std::memcpy(&h, bytes, sizeof(h));
  const std::uint64_t limit = size / 16;
  if (std::memcmp(h.magic, proto::kFirstRunMagic, sizeof(h.magic)) != 0 || h.module_count > limit ||
      h.object_count > limit || h.pointers_size > size || h.range_count > limit || h.strings_size > size ||
      h.bytes_size > size || h.object_count == 0 || h.strings_size == 0)
    return damaged();
  const std::uint64_t fixed = sizeof(h) + h.module_count * sizeof(proto::FirstRunModule) +
                              h.object_count * sizeof(proto::FirstRunObject) + h.pointers_size +
                              h.range_count * sizeof(proto::AddressRange) + h.strings_size;
  const std::uint64_t base = (fixed + 7) & ~std::uint64_t(7);
  if (fixed > size || base > size || bytes[fixed - 1] != 0) return damaged();
  // The tables are read where they are (the file is mapped; a million objects' copies would cost
  // as much as the comparison), each through memcpy, as nothing in the file is aligned for them.
  auto table = [&](std::uint64_t offset, auto* out, std::uint64_t count) {
    out->resize(count);
    if (count) std::memcpy(out->data(), bytes + offset, count * sizeof((*out)[0]));
    return offset + count * sizeof((*out)[0]);
  };
  std::vector<proto::FirstRunModule> modules;
  std::uint64_t at = table(sizeof(h), &modules, h.module_count);
  const unsigned char* object_table = bytes + at;
  auto object = [&](std::size_t i) {
    proto::FirstRunObject o;
    std::memcpy(&o, object_table + i * sizeof(o), sizeof(o));
    return o;
  };
  at += h.object_count * sizeof(proto::FirstRunObject);
  const unsigned char* pointer_stream = bytes + at;
  at += h.pointers_size;
  std::vector<proto::AddressRange> first_ranges;
  at = table(at, &first_ranges, h.range_count);
  const char* strings = reinterpret_cast<const char*>(bytes + at);

  // The first run's modules, as this run's: by name (the executable by being it).
  std::vector<const Module*> module_here(modules.size(), nullptr);
  for (std::size_t i = 0; i < modules.size(); ++i) {
    if (modules[i].name_offset >= h.strings_size) return damaged();
    std::string name = strings + modules[i].name_offset;
    for (const Module& m : run.modules)
      if (modules[i].is_executable ? m.is_executable : m.name == name) module_here[i] = &m;
  }
  // Where each object's bytes are: one after the other, each at a multiple of 8.
  std::vector<std::uint64_t> bytes_offset(h.object_count);
  for (std::uint64_t i = 0, offset = 0; i < h.object_count; ++i) {
    const proto::FirstRunObject o = object(i);
    if (o.pointers_offset >= h.pointers_size || o.size > size - base || offset > size - base - o.size) return damaged();
    bytes_offset[i] = offset;
    offset += (o.size + 7) & ~std::uint64_t(7);
  }
  if (run.roots.size() != 1) return damaged();

  // Where this run had addresses: the arena, its modules, the stacks of the baking thread and of
  // the threads it started, and the process's own stack and heap.
  std::vector<proto::AddressRange> ranges;
  ranges.push_back({run.arena_base, run.arena_base + std::max<std::uint64_t>(run.arena.size(), 1), proto::kHeapRange});
  for (const Module& m : run.modules)
    for (const Segment& s : m.segments) ranges.push_back({s.start, s.end, proto::kModuleRange});
  ranges.push_back({ctx.opts.stack_base, ctx.opts.stack_base + proto::kBakeStackSize, proto::kStackRange});
  for (const proto::DumpStack& s : run.thread_stacks) ranges.push_back({s.start, s.end, proto::kStackRange});
  for (const Dump::Mapping& m : run.maps)
    if (m.name == "[stack]" || m.name == "[heap]")
      ranges.push_back({m.start, m.end, m.name == "[stack]" ? proto::kStackRange : proto::kHeapRange});

  std::string difference;  // the first, said as "<object>: <word>"
  AllocIndex index(run.allocs, run.arena.size());
  // An address of heap memory that holds no live object: in the arena here, freed or between
  // objects; in the first run, in its heap but in none of its live blocks (else it would be a
  // pointer of the description).
  auto dead_here = [&](std::uint64_t v) {
    if (v - run.arena_base >= run.arena.size()) return false;
    std::size_t i = index.at_or_before(v - run.arena_base);
    return i == AllocIndex::kNone || (run.allocs[i].flags & proto::kAllocFreed) ||
           v - run.arena_base >= run.allocs[i].offset + run.allocs[i].size;
  };
  // One past the end of a freed allocation of this run's arena (the arena never reuses memory).
  auto ends_freed_block = [&](std::uint64_t v) {
    if (v - run.arena_base - 1 >= run.arena.size()) return false;
    std::size_t i = index.at_or_before(v - run.arena_base - 1);
    return i != AllocIndex::kNone && (run.allocs[i].flags & proto::kAllocFreed) &&
           run.allocs[i].offset + run.allocs[i].size == v - run.arena_base;
  };
  constexpr std::uint64_t kStack = proto::kStackRange + 1, kHeap = proto::kHeapRange + 1;
  // True when a data word that differs between this run (v) and the first run (f) differs only in
  // leftovers of registers and stack (a union's unused bytes, padding copied from a stack
  // temporary), which no code reads, the way the bake's own two runs may differ:
  //  - whole addresses of a stack (a frame that is gone) or of dead heap memory, or zero where the
  //    other process's cleared stack left nothing, on both sides: a value cannot use either;
  //  - the same low half (a real member, such as an int) below upper halves of addresses of the
  //    same kind (a stack, a module, the heap), or the same low 1 to 3 bytes (a bool, a char)
  //    below the upper bytes of such addresses; or below such upper bytes in one run and zero in
  //    the other.
  auto leftovers_only = [&](std::uint64_t v, std::uint64_t f) {
    bool gone_here = v == 0 || place_of(v, ranges) == kStack || dead_here(v);
    bool gone_there = f == 0 || place_of(f, first_ranges) == kStack || place_of(f, first_ranges) == kHeap;
    if (gone_here && gone_there) return true;
    // The end of a block freed in both runs (a destroyed vector's end, past a popped vector's
    // size): there in the first run's heap, no live block; here the start of the allocation
    // after the freed one. No code can read it in either run.
    if (place_of(f, first_ranges) == kHeap && ends_freed_block(v)) return true;
    // Upper bytes of addresses of one kind (a stack, a module, the heap: where the executable and
    // the heap share upper bytes, either) above the same low 4 bytes (an int), or the same low 1 to
    // 3 bytes (a bool, a char).
    // Or such upper bytes on one side and zero on the other, where a cleared stack left nothing.
    for (unsigned low : {32u, 24u, 16u, 8u}) {
      if ((v ^ f) & ((std::uint64_t(1) << low) - 1)) continue;
      std::uint64_t here = places_of_upper(v, low, ranges), there = places_of_upper(f, low, first_ranges);
      if ((here & there) || ((v >> low) == 0 && there) || ((f >> low) == 0 && here)) return true;
    }
    return false;
  };
  std::vector<std::size_t> alloc_of(h.object_count, AllocIndex::kNone);
  std::deque<std::size_t> queue;
  std::size_t root_alloc = index.at_or_before(run.roots[0].object_offset);
  if (root_alloc == AllocIndex::kNone || run.allocs[root_alloc].offset != run.roots[0].object_offset) return damaged();
  alloc_of[0] = root_alloc;
  queue.push_back(0);
  while (!queue.empty() && difference.empty()) {
    std::size_t t = queue.front();
    queue.pop_front();
    const proto::FirstRunObject o = object(t);
    const proto::DumpAlloc& x = run.allocs[alloc_of[t]];
    // Named only once something differs (a million objects are compared for one name).
    auto what = [&] {
      return t == 0 ? std::string("the root's own object")
                    : fmt::format("a {}-byte object allocated at {} (the {}th the value reaches)", x.size,
                                  site_name(run, run.site_of(x)), t + 1);
    };
    if (x.size != o.size) {
      ctx.depends_on_run = true;
      error(ctx) << "the value differs from the one the program's own run built: " << what() << " has " << x.size
                 << " bytes here and " << o.size << " in the program's run" << kCause;
      return;
    }
    if (x.offset + x.size > run.arena.size()) return damaged();
    const unsigned char* here = run.arena.data() + x.offset;
    const unsigned char* there = bytes + base + bytes_offset[t];
    // Its pointers, read one ahead: `p` is the next one, at word p.word.
    Numbers stream(pointer_stream + o.pointers_offset, pointer_stream + h.pointers_size);
    std::uint64_t left = stream.next();
    struct {
      std::uint64_t word, target, offset, tag;
      bool module;
    } p{};
    bool have = false;
    auto read_pointer = [&](std::uint64_t previous_word) {
      have = left > 0;
      if (!have) return;
      --left;
      std::uint64_t step = stream.next(), target = stream.next();
      p.offset = stream.next();
      p.tag = stream.next() << 48;
      p.word = previous_word + step;
      p.module = target & 1;
      p.target = target >> 1;
    };
    read_pointer(0);
    for (std::uint64_t w = 0; w < (x.size + 7) / 8; ++w) {
      std::uint64_t v = 0, f = 0, n = std::min<std::uint64_t>(8, x.size - w * 8);
      std::memcpy(&v, here + w * 8, n);
      std::memcpy(&f, there + w * 8, n);
      auto doubt = [&](const std::string& how) {
        if (difference.empty()) difference = what() + ": " + how;
      };
      if (have && p.word < w) return damaged();
      if (have && p.word == w) {
        if (stream.bad) return damaged();
        std::uint64_t address = untagged(v);
        // The same bytes as the program's run, and no address of this run's arena: data both
        // bake runs built alike, which in the program's run only happened to equal an object's
        // address (a static program's heap lies at small addresses that integers take too).
        if (v == f && (address < run.arena_base || address - run.arena_base >= run.arena.size())) {
        } else if (tag_of(v) != p.tag) {
          doubt(fmt::format("word {} has other tag bits ({:#x} here, {:#x} in the program's run)", w, v, f));
        } else if (p.module) {
          if (p.target >= modules.size()) return damaged();
          if (!module_here[p.target] || address != module_here[p.target]->bias + p.offset)
            doubt(fmt::format("word {} points elsewhere in the program or its libraries ({:#x} here, {:#x} in the program's run)", w, v, f));
        } else {
          if (p.target >= h.object_count) return damaged();
          std::uint64_t start = address - run.arena_base - p.offset;
          std::size_t to = address < run.arena_base + p.offset ? AllocIndex::kNone : index.at_or_before(start);
          if (to == AllocIndex::kNone || run.allocs[to].offset != start || (run.allocs[to].flags & proto::kAllocFreed)) {
            // Dangling here (into a freed block, or at its end), where the first run's allocator
            // gave the place to another object of the value: stale in both runs (a destroyed
            // vector's end in an object make_shared destroyed while weak pointers keep its
            // block), and no code can read it.
            if (!dead_here(address) && !ends_freed_block(address))
              doubt(fmt::format("word {} points to no object where the program's run had one ({:#x} here, {:#x} there)", w, v, f));
          }
          else if (alloc_of[p.target] == AllocIndex::kNone)
            alloc_of[p.target] = to, queue.push_back(p.target);
          else if (alloc_of[p.target] != to)
            doubt(fmt::format("word {} points to another object than in the program's run ({:#x} here, {:#x} there)", w, v, f));
        }
        read_pointer(w);
        if (have && p.word == w) return damaged();
        continue;
      }
      if (v == f) continue;
      if (n == 8 && leftovers_only(v, f)) continue;
      doubt(fmt::format("word {} is {:#x} here and {:#x} in the program's run", w, v, f));
    }
    if (have || stream.bad) return damaged();  // a pointer past the object's words
  }
  if (difference.empty()) return;
  ctx.depends_on_run = true;
  error(ctx) << "the value differs from the one the program's own run built: " << difference << kCause;
}

}  // namespace fastboot::baker
