// Why this works: the two runs made the same allocations with the arena at two bases and the
// modules at two load addresses (ASLR). A word that differs by exactly the arena's shift is a
// pointer into the arena; by exactly a module's shift, and inside that module, a pointer into
// it. Anything else that differs would also be wrong after relocation, so it is an error.
#include "diff.h"

#include "parallel.h"

#include <algorithm>
#include <cstring>

namespace fastboot::baker {

std::string varied_variables_read(const Context& ctx) {
  std::string names;
  if (auto e = ctx.audit.find("environment"); !ctx.varied_environment.empty() && e != ctx.audit.end())
    for (const std::string& name : e->second)
      if (name == "LANG" || name == "LANGUAGE" || name == "TZ" || name.rfind("LC_", 0) == 0)
        names += (names.empty() ? "" : ", ") + name;
  return names;
}

namespace {

struct SegmentRef {
  std::uint64_t start, end;
  std::uint32_t module;
};

// The segments of run A's modules, sorted, to find which module an address lies in.
class ModuleMap {
 public:
  explicit ModuleMap(const Dump& a) {
    // Up to the end of the segment's last page: the mapping goes that far and moves with the
    // module (the dynamic loader keeps its first allocations, link maps among them, there).
    for (std::uint32_t m = 0; m < a.modules.size(); ++m)
      for (const Segment& s : a.modules[m].segments) segs_.push_back({s.start, (s.end + 4095) & ~4095ull, m});
    std::sort(segs_.begin(), segs_.end(), [](auto& x, auto& y) { return x.start < y.start; });
  }
  // The module containing addr, one-past-the-end included; -1 if none.
  int find(std::uint64_t addr) const {
    auto it = std::upper_bound(segs_.begin(), segs_.end(), addr,
                               [](std::uint64_t v, const SegmentRef& s) { return v < s.start; });
    if (it == segs_.begin()) return -1;
    --it;
    return addr <= it->end ? int(it->module) : -1;
  }

 private:
  std::vector<SegmentRef> segs_;
};

std::uint64_t load_word(const Bytes& arena, std::uint64_t off) {
  std::uint64_t v = 0;
  std::memcpy(&v, arena.data() + off, std::min<std::uint64_t>(8, arena.size() - off));
  return v;
}

// The places an address can point into in both runs, each as its span in run A and in run B:
// the arena (its used part), each module, the main thread's stack and heap.
struct RegionPair {
  std::uint64_t a_lo, a_hi, b_lo, b_hi;
};

std::vector<RegionPair> region_pairs(const Dump& a, const Dump& b) {
  std::vector<RegionPair> out;
  std::uint64_t size = std::max<std::uint64_t>(a.arena.size(), 1);
  out.push_back({a.arena_base, a.arena_base + size, b.arena_base, b.arena_base + size});
  for (std::size_t m = 0; m < a.modules.size() && m < b.modules.size(); ++m) {
    const auto& sa = a.modules[m].segments;
    const auto& sb = b.modules[m].segments;
    if (sa.empty() || sb.empty()) continue;
    out.push_back({sa.front().start, sa.back().end, sb.front().start, sb.back().end});
  }
  for (const char* name : {"[stack]", "[heap]"}) {
    auto find = [&](const Dump& d) {
      for (const auto& m : d.maps)
        if (m.name == name) return &m;
      return static_cast<const Dump::Mapping*>(nullptr);
    };
    const Dump::Mapping *ma = find(a), *mb = find(b);
    if (ma && mb) out.push_back({ma->start, ma->end, mb->start, mb->end});
  }
  return out;
}

// True when two 4-byte halves, one from each run, can be the same half of an address in the same
// place: both upper halves of addresses in the region, or both lower halves at the same offset.
bool halves_of_one_address(const std::vector<RegionPair>& regions, std::uint32_t ha, std::uint32_t hb) {
  for (const RegionPair& r : regions) {
    if (ha >= (r.a_lo >> 32) && ha <= ((r.a_hi - 1) >> 32) && hb >= (r.b_lo >> 32) && hb <= ((r.b_hi - 1) >> 32))
      return true;
    std::uint32_t oa = ha - std::uint32_t(r.a_lo), ob = hb - std::uint32_t(r.b_lo);
    if (oa == ob && oa < r.a_hi - r.a_lo) return true;
  }
  return false;
}

// True when a differing word is leftover bytes of addresses: every 4-byte half in which it
// differs is a leftover half of an address; or its low 1 to 3 bytes are the same in both runs (a
// small member: a bool, a char, a short) and the bytes above them are the upper bytes of
// addresses in the same region (padding after that member, holding what was on the stack).
bool leftover_address_bytes(const std::vector<RegionPair>& regions, std::uint64_t va, std::uint64_t vb) {
  bool halves = true;
  for (unsigned shift : {0u, 32u}) {
    auto ha = std::uint32_t(va >> shift), hb = std::uint32_t(vb >> shift);
    if (ha != hb && !halves_of_one_address(regions, ha, hb)) halves = false;
  }
  if (halves) return true;
  for (unsigned low = 8; low <= 24; low += 8) {
    if ((va ^ vb) & ((std::uint64_t(1) << low) - 1)) return false;  // the member itself differs
    std::uint64_t ua = va >> low, ub = vb >> low;
    for (const RegionPair& r : regions)
      if (ua >= (r.a_lo >> low) && ua <= ((r.a_hi - 1) >> low) && ub >= (r.b_lo >> low) && ub <= ((r.b_hi - 1) >> low))
        return true;
  }
  return false;
}

// A user-space address of x86-64 (47 bits) or aarch64 (48 bits).
bool looks_like_address(std::uint64_t v) { return v >= 0x10000 && v < 0x1000000000000; }

const Dump::Mapping* mapping_of(const Dump& d, std::uint64_t v) {
  for (const auto& m : d.maps)
    if (v >= m.start && v < m.end) return &m;
  return nullptr;
}

// For a whole address of memory the image does not hold: it may be a copy of one that no code
// reads, left in padding.
constexpr const char* kLeftoverHint =
    "; if no code reads this word (padding, or a union member not in use), it is leftover bytes of "
    "registers or stack: value-initialize the object, or build the code that allocates it with -g";
// After the cause, for such an address equal in both runs (unmoved_mappings() below).
constexpr const char* kUnmoved =
    " (it is the same address in both bake runs, since this memory was not moved between them, as under an "
    "emulator: it was told from a number by its range)";

// The stack of a worker that holds address v, if any.
const protocol::DumpStack* stack_of(const Dump& d, std::uint64_t v) {
  for (const auto& s : d.thread_stacks)
    if (v >= s.start && v < s.end) return &s;
  return nullptr;
}

std::string worker_stack(const protocol::DumpStack& s) {
  return fmt::format("it points into the stack or thread-local storage of thread {} the initializers started, "
                     "which {}is not part of the image{}", s.thread, s.exited ? "" : "was still running and ",
                     kLeftoverHint);
}

// Said first of a difference a race between the initializers' threads may explain.
constexpr const char* kRace = "the threads the initializers started produced different heaps: ";
constexpr const char* kDifferentObjects = "it points into the arena, but to different objects in the two runs";
// Said of such a pointer when the baking thread allocated both the object holding it and what
// it points to, so no thread the initializers started can have decided it.
constexpr const char* kByAddress =
    ": most likely a table hashed or ordered by its objects' addresses (an unordered_map or set keyed "
    "by pointers), which lays them out differently in each run; key it by a value";
// What else to do about it: in a bake, and in a frozen root's freezer (never address-stable).
constexpr const char* kOrAddressStable =
    ", or bake with ADDRESS_STABLE (fastboot_bake(<target> ADDRESS_STABLE), fastboot-bake "
    "--address-stable), which puts the heap at one base in both runs and uses the image only at that "
    "base (that does not help a hash seeded by a global's address, as abseil's is)";
constexpr const char* kOrBakedRoot =
    ", or make it a baked root (fastboot::root, fastboot_bake(<target> ADDRESS_STABLE)): a frozen root cannot "
    "hold such a table";
// The same in an address-stable bake, where the heap is at one base in both runs.
constexpr const char* kByModuleAddress =
    ": most likely a table hashed or ordered by addresses of the program's or a library's code or data "
    "(pointers to globals, functions or string literals as keys, or a hash seeded by a global's address), "
    "which are at other places in each run, as they are in every process; key it by a value";

// What the bake saw the initializers do that can make a word differ between the runs.
struct Suspects {
  bool threads = false;  // they started threads: a difference may be a race between them
  std::string random;    // the random source they read ("/dev/urandom", "getrandom()"), if any
  std::string environment;  // the locale and time-zone variables they read, which run B varied
  std::string varied;       // what run B set them to
  bool address_stable = false;  // the runs' arenas are at one base (Options::address_stable)
  bool freezing = false;        // the freezer's runs, for a frozen root
};

// A cause about a pointer into the arena: the race first where a thread may have decided it,
// else the likely table keyed by address after it.
std::string arena_cause(bool race, const std::string& what, const Suspects& s) {
  if (race) return kRace + what;
  if (s.address_stable) return what + kByModuleAddress;
  return what + kByAddress + (s.freezing ? kOrBakedRoot : kOrAddressStable);
}

Suspects suspects(const Context& ctx, const Dump& a, const Dump& b) {
  Suspects s;
  s.threads = a.threads_started || b.threads_started;
  if (auto r = ctx.audit.find("randomness"); r != ctx.audit.end() && !r->second.empty()) s.random = *r->second.begin();
  if (auto f = ctx.audit.find("file"); s.random.empty() && f != ctx.audit.end())
    for (const std::string& path : f->second)
      if (path == "/dev/urandom" || path == "/dev/random" || path == "/dev/arandom") s.random = path;
  s.environment = varied_variables_read(ctx);
  s.varied = ctx.varied_environment;
  s.address_stable = ctx.opts.address_stable;
  s.freezing = ctx.opts.freezing;
  return s;
}

// Said of a difference the locale or time zone may explain.
std::string environment_cause(const Suspects& s) {
  return fmt::format("the initializers read {}, which the second bake run sets to other values ({}): a value "
                     "derived from the build machine's locale or time zone, which a user's machine need not "
                     "share; compute it at startup, or from fixed settings (the \"C\" locale, UTC)",
                     s.environment, s.varied);
}

// Eight bytes of text in both runs (letters, digits, punctuation, spaces, NULs).
bool looks_like_text(std::uint64_t va, std::uint64_t vb) {
  int printable = 0;
  for (std::uint64_t v : {va, vb})
    for (int i = 0; i < 8; ++i) {
      unsigned c = (v >> (8 * i)) & 0xff;
      if (c != 0 && (c < 0x20 || c > 0x7e)) return false;
      printable += c != 0;
    }
  return printable >= 4;
}

std::string printable(std::uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) {
    char c = char((v >> (8 * i)) & 0xff);
    out += c ? std::string(1, c) : std::string("\\0");
  }
  return out;
}

// Memory the image does not hold that lay at the same address in both runs: every mapping under
// an emulator (qemu-user lays out every process alike), or with address-space randomization off
// for the whole machine. A pointer into it is equal in both runs, so the diff cannot tell it from
// a number; it is told by range instead, as a non-PIE executable's pointers are. Sorted by start.
std::vector<Dump::Mapping> unmoved_mappings(const Dump& a, const Dump& b) {
  std::vector<Dump::Mapping> same;
  for (const auto& m : a.maps) {
    if (!looks_like_address(m.start)) continue;  // [vsyscall], fixed by the kernel
    for (const auto& n : b.maps)
      if (n.start == m.start && n.end == m.end && n.name == m.name) {
        same.push_back(m);
        break;
      }
  }
  // Less the pages of modules' segments: a number there, outside every segment (before a
  // writable segment that starts inside a page, past the end of a bss), is not a pointer into
  // the module, and the module's own range check has seen it. What follows them in the same
  // mapping (the heap an emulator puts right after the bss) stays.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pages;
  for (const Module& mod : a.modules)
    for (const Segment& seg : mod.segments)
      pages.push_back({seg.start & ~std::uint64_t(4095), (seg.end + 4095) & ~std::uint64_t(4095)});
  std::vector<Dump::Mapping> out;
  for (const Dump::Mapping& m : same) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> left{{m.start, m.end}};
    for (const auto& [lo, hi] : pages) {
      std::vector<std::pair<std::uint64_t, std::uint64_t>> next;
      for (const auto& [x, y] : left) {
        if (hi <= x || y <= lo) {
          next.push_back({x, y});
          continue;
        }
        if (x < lo) next.push_back({x, lo});
        if (hi < y) next.push_back({hi, y});
      }
      left = std::move(next);
    }
    for (const auto& [x, y] : left) out.push_back({x, y, m.name});
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.start < y.start; });
  return out;
}

const Dump::Mapping* find_mapping(const std::vector<Dump::Mapping>& sorted, std::uint64_t v) {
  auto it = std::upper_bound(sorted.begin(), sorted.end(), v, [](std::uint64_t x, const auto& m) { return x < m.start; });
  if (it == sorted.begin()) return nullptr;
  --it;
  return v < it->end ? &*it : nullptr;
}

std::string describe(const Dump& a, const Dump& b, const ModuleMap& modules, std::uint64_t va,
                     std::uint64_t vb, const Suspects& suspects) {
  const std::string race = suspects.threads ? kRace : "";
  std::uint64_t size = a.arena.size();
  if (va - a.arena_base <= size && vb - b.arena_base <= size)
    return arena_cause(suspects.threads, kDifferentObjects, suspects);
  // A pointer into the arena in one run only: an empty slot in the other (a bucket of a table
  // laid out by addresses), or a value.
  bool in_a = untagged(va) - a.arena_base < size, in_b = untagged(vb) - b.arena_base < b.arena.size();
  if (in_a != in_b) {
    std::uint64_t other = in_a ? vb : va;
    return arena_cause(suspects.threads,
                       fmt::format("it points into the arena in the {} run and is {} in the {}", in_a ? "first" : "second",
                                   other ? fmt::format("{:#x}", other) : "null", in_a ? "second" : "first"),
                       suspects);
  }
  int m = modules.find(va);
  if (m >= 0)
    return fmt::format("it points into {} in one run but not by the same shift in the other",
                       a.modules[m].name);
  if (const protocol::DumpStack* s = stack_of(a, va)) return worker_stack(*s);
  const Dump::Mapping* ma = mapping_of(a, va);
  const Dump::Mapping* mb = mapping_of(b, vb);
  if (ma && mb) {
    if (ma->name == "[stack]" && mb->name == "[stack]")
      return std::string("it is an address in the main thread's stack (the program's arguments and "
                         "environment), which is not part of the image") + kLeftoverHint;
    if (ma->name.empty() || ma->name == "[heap]" || ma->name.rfind("[anon", 0) == 0) {
      std::uint64_t threads = std::max(a.threads_started, b.threads_started);
      if (threads > protocol::kCapturedThreads)
        return fmt::format("it is a pointer into memory the initializers did not allocate: they started {} "
                           "threads, and a bake captures the allocations of the first {} only, so most likely "
                           "a later one allocated it; start fewer threads, or reuse them (a pool)",
                           threads, protocol::kCapturedThreads);
      return std::string("it is a pointer into memory the initializers did not allocate (memory allocated "
                         "before the bake, or by a thread started before it)") + kLeftoverHint;
    }
    return fmt::format("it points into {}, which is not part of the image{}", ma->name, kLeftoverHint);
  }
  // A dump without a memory map: go by the range of the value.
  if (a.maps.empty() && looks_like_address(va) && looks_like_address(vb))
    return "it looks like a pointer to memory the initializers did not allocate (the stack, memory "
           "allocated before the bake, or by a thread started before it)";
  // No address: what the initializers read says first what it may be.
  if (!suspects.random.empty())
    return fmt::format("it is a value that differs between runs and is no address of the baking process, and "
                       "the initializers read {}: most likely a random number (a seed, a nonce, a salted "
                       "hash); random values belong at startup, not in a baked value", suspects.random);
  if (!suspects.environment.empty())
    return "it is a value that differs between runs and is no address of the baking process, and " + environment_cause(suspects);
  if (looks_like_text(va, vb))
    return race + fmt::format("it is text that differs between runs (\"{}\" in the first, \"{}\" in the "
                              "second): characters stored in other places in each run, as a table laid out by "
                              "a seeded or address-based hash stores them", printable(va), printable(vb));
  std::uint64_t diff = va > vb ? va - vb : vb - va;
  if (va >= 1000000 && vb >= 1000000 && diff < 10000000000ull && diff < std::min(va, vb) / 100)
    return fmt::format("it looks like a clock reading (the runs differ by {}, close to each other); "
                       "times belong at startup, not in a baked value", diff);
  if (std::uint32_t(va) == std::uint32_t(vb) || (va >> 32) == (vb >> 32))
    return race + fmt::format("only its {} 4 bytes differ, as leftover bytes of registers or stack in padding or "
                       "unused union storage do (the baker could not match them to half an address); if "
                       "no code reads them, build the code that allocates this object with -g so the "
                       "baker sees its padding, or value-initialize the object",
                       (va >> 32) == (vb >> 32) ? "lower" : "upper");
  return race + "it is a value that differs between runs and is no address of the baking process (an "
                "address-derived hash, a random number, or uninitialized memory)";
}

}  // namespace

void check_same_shape(Context& ctx, const Dump& a, const Dump& b) {
  auto root_name = [&](std::uint32_t i) {
    return i < a.roots.size() ? a.roots[i].name : std::string("?");
  };
  const Suspects why = suspects(ctx, a, b);
  const std::string advice =
      why.environment.empty()
          ? std::string("; a bake needs initializers that allocate the same way every time: do they depend on "
                        "addresses, the time, random numbers, or threads?")
          : "; a bake needs initializers that allocate the same way every time, and " + environment_cause(why);
  std::size_t n = std::min(a.allocs.size(), b.allocs.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& x = a.allocs[i];
    const auto& y = b.allocs[i];
    if (x.offset != y.offset || x.size != y.size || x.root != y.root) {
      error(ctx) << "the two bake runs did not allocate the same way: allocation #" << i
                 << " (root '" << root_name(x.root) << "') is " << x.size << " bytes at arena offset "
                 << x.offset << " in the first run but " << y.size << " bytes at " << y.offset
                 << " in the second" << advice;
      return;
    }
  }
  if (a.allocs.size() != b.allocs.size() || a.arena.size() != b.arena.size()) {
    error(ctx) << "the two bake runs did not allocate the same way: " << a.allocs.size()
               << " allocations (" << a.arena.size() << " bytes) in the first run, "
               << b.allocs.size() << " (" << b.arena.size() << " bytes) in the second" << advice;
    return;
  }
  if (a.roots.size() != b.roots.size() || a.modules.size() != b.modules.size()) {
    error(ctx) << "the two bake runs saw different roots or modules";
    return;
  }
  for (std::size_t i = 0; i < a.modules.size(); ++i)
    if (a.modules[i].name != b.modules[i].name ||
        a.modules[i].segments.size() != b.modules[i].segments.size())
      error(ctx) << "the two bake runs loaded different modules: " << a.modules[i].name << " and "
                 << b.modules[i].name;
}

Classification classify(Context& ctx, const Dump& a, const Dump& b, const std::map<std::uint64_t, std::string>* unpaired,
                        Bytes* give_back_b) {
  Classification out;
  const std::uint64_t size = a.arena.size();
  ModuleMap modules(a);
  const std::vector<RegionPair> regions = region_pairs(a, b);
  // With threads started by the initializers, a difference may be theirs, and with a random
  // source read, a random number: the messages say so.
  const Suspects why = suspects(ctx, a, b);
  Suspects why_not_threads = why;
  why_not_threads.threads = false;
  // Run B's words are in run A's layout once the heaps were matched.
  const std::uint64_t b_baking_thread_end = unpaired ? a.baking_thread_end : b.baking_thread_end;
  // Whether a thread the initializers started allocated the object at arena offset `at`, or
  // what its word points to in either run: a pointer that differs between the runs can be a
  // race between those threads only then.
  auto by_workers = [&](std::uint64_t at, std::uint64_t va, std::uint64_t vb) {
    std::uint64_t ta = untagged(va) - a.arena_base, tb = untagged(vb) - b.arena_base;
    return at >= a.baking_thread_end || (ta <= size && ta >= a.baking_thread_end) ||
           (tb <= b.arena.size() && tb >= b_baking_thread_end);
  };
  const std::uint64_t stack_lo = ctx.opts.stack_base, stack_size = protocol::kBakeStackSize;
  // The span of the workers' stacks, so most words are ruled out by one compare.
  std::uint64_t stacks_lo = ~0ull, stacks_hi = 0;
  for (const auto& st : a.thread_stacks) stacks_lo = std::min(stacks_lo, st.start), stacks_hi = std::max(stacks_hi, st.end);
  const std::uint64_t stacks_span = stacks_hi > stacks_lo ? stacks_hi - stacks_lo : 0;
  const std::vector<Dump::Mapping> unmoved = unmoved_mappings(a, b);
  const std::uint64_t unmoved_lo = unmoved.empty() ? 0 : unmoved.front().start;
  const std::uint64_t unmoved_span = unmoved.empty() ? 0 : unmoved.back().end - unmoved_lo;

  std::vector<std::uint64_t> module_shift(a.modules.size());
  std::vector<bool> same_base(a.modules.size());
  bool any_same_base = false;
  for (std::uint32_t m = 0; m < a.modules.size(); ++m) {
    module_shift[m] = b.modules[m].bias - a.modules[m].bias;
    same_base[m] = module_shift[m] == 0;
    if (same_base[m]) {
      any_same_base = true;
      out.range_checked.push_back(m);
    }
  }

  // A parallel loop over the allocations. Each part keeps its own results and the bitmap words
  // of its own offset range; merging them in part order gives what one loop would.
  struct Part {
    std::uint64_t first_word = 0;  // bitmap index of bits[0]
    std::vector<std::uint64_t> bits;
    std::vector<ModulePointer> module_pointers;
    std::vector<BadWord> bad;
    std::uint64_t arena_pointers = 0, data_words = 0, stack_words = 0, leftover_words = 0;
  };
  std::vector<Part> parts(parallel_parts());
  ctx.work(a.allocs.size());
  // Run B's pages a part has passed are given back as it goes (in allocation order, no later
  // word of the part lies below the current allocation; the part before ends below its first).
  const bool giving_back = give_back_b && std::is_sorted(a.allocs.begin(), a.allocs.end(), [](const auto& x, const auto& y) {
    return x.offset < y.offset;
  });
  constexpr std::uint64_t kGiveBackEvery = 4 << 20;
  parallel_for(a.allocs.size(), [&](std::size_t begin, std::size_t end_index, std::size_t p) {
    Part& part = parts[p];
    if (begin == end_index) return;
    std::uint64_t lo = a.allocs[begin].offset, hi = std::min(size, a.allocs[end_index - 1].offset + a.allocs[end_index - 1].size);
    part.first_word = lo / 8 / 64;
    part.bits.assign(hi / 8 / 64 - part.first_word + 1, 0);
    std::uint64_t given_back = lo;
    for (std::size_t i = begin; i < end_index; ++i) {
      if (i % 16384 == 16383) ctx.advance(16384);
      const auto& alloc = a.allocs[i];
      if (giving_back && alloc.offset - given_back >= kGiveBackEvery) {
        give_back_b->discard(given_back, alloc.offset);
        given_back = alloc.offset;
      }
      if (alloc.flags & protocol::kAllocFreed) continue;
      std::uint64_t end = std::min(size, alloc.offset + alloc.size);
      for (std::uint64_t off = alloc.offset & ~7ull; off < end; off += 8) {
        std::uint64_t va = load_word(a.arena, off), vb = load_word(b.arena, off);
        if (off + 8 > size) {  // a partial last word holds no pointer
          if (va == vb) ++part.data_words;
          else part.bad.push_back({off, va, vb, i, describe(a, b, modules, va, vb, why)});
          continue;
        }
        if (arena_pointer(a, b, va, vb)) {
          part.bits[off / 8 / 64 - part.first_word] |= 1ull << (off / 8 % 64);
          ++part.arena_pointers;
          continue;
        }
        if (va == vb) {
          int m = any_same_base ? modules.find(untagged(va)) : -1;
          if (m >= 0 && same_base[m]) {
            part.module_pointers.push_back({off, std::uint32_t(m)});
            continue;
          }
          if (va - stack_lo < stack_size) {
            ++part.stack_words;
          } else if (const protocol::DumpStack* st = va - stacks_lo < stacks_span ? stack_of(a, va) : nullptr) {
            // Workers' stacks are at fixed addresses too: a finished worker's holds only frames
            // that are gone, but a running one's (a pool's) is live, and not in the image.
            if (!st->exited) {
              part.bad.push_back({off, va, vb, i, worker_stack(*st)});
              continue;
            }
            ++part.stack_words;
          } else if (va - unmoved_lo < unmoved_span && find_mapping(unmoved, va)) {
            part.bad.push_back({off, va, vb, i, describe(a, b, modules, va, vb, why) + kUnmoved});
            continue;
          }
          ++part.data_words;
          continue;
        }
        // A pointer into a module, tagged or not: a tag's flags stay in the target's upper 16
        // bits, and startup's bias + target (or symbol + offset) adds to the address below them.
        int m = modules.find(untagged(va));
        if (m >= 0 && vb - va == module_shift[m] && tag_of(va) == tag_of(vb)) {
          part.module_pointers.push_back({off, std::uint32_t(m)});
          continue;
        }
        // A whole address of memory the image does not hold, at the same place of the same kind
        // of mapping in both runs (a thread's heap made before the bake: its 64 MiB alignment
        // can leave the low half equal by chance), is refused like a pointer, even where its
        // halves could pass for leftovers.
        if (const Dump::Mapping* ma = looks_like_address(va) ? mapping_of(a, va) : nullptr)
          if (const Dump::Mapping* mb = looks_like_address(vb) ? mapping_of(b, vb) : nullptr;
              mb && ma->name == mb->name && va - ma->start == vb - mb->start) {
            part.bad.push_back({off, va, vb, i, describe(a, b, modules, va, vb, why)});
            continue;
          }
        if (leftover_address_bytes(regions, va, vb)) {
          ++part.leftover_words;
          ++part.data_words;
          continue;
        }
        bool arena_pointers = untagged(va) - a.arena_base <= size || untagged(vb) - b.arena_base <= b.arena.size();
        bool race = why.threads && (!arena_pointers || by_workers(alloc.offset, va, vb));
        std::string kind;
        if (unpaired)
          if (auto to = unpaired->find(off); to != unpaired->end())
            kind = arena_cause(race, std::string(kDifferentObjects) + " (" + to->second + ")", why);
        if (kind.empty()) kind = describe(a, b, modules, va, vb, race ? why : why_not_threads);
        part.bad.push_back({off, va, vb, i, std::move(kind)});
      }
    }
  });
  out.bitmap.assign((size / 8 + 63) / 64, 0);
  // Each part's module pointers (a million for a million objects with vtables) are freed as soon
  // as they are copied, into room made once.
  std::size_t module_pointers = 0;
  for (const Part& part : parts) module_pointers += part.module_pointers.size();
  out.module_pointers.reserve(module_pointers);
  for (Part& part : parts) {
    for (std::size_t w = 0; w < part.bits.size() && part.first_word + w < out.bitmap.size(); ++w)
      out.bitmap[part.first_word + w] |= part.bits[w];
    out.module_pointers.insert(out.module_pointers.end(), part.module_pointers.begin(), part.module_pointers.end());
    std::vector<ModulePointer>().swap(part.module_pointers);
    std::vector<std::uint64_t>().swap(part.bits);
    out.bad.insert(out.bad.end(), part.bad.begin(), part.bad.end());
    out.leftover_words += part.leftover_words;
    out.arena_pointers += part.arena_pointers;
    out.data_words += part.data_words;
    out.stack_words += part.stack_words;
  }
  // By module, in offset order within one (a sort's buffer is half the list: none when, as for
  // a heap's vtable pointers, they are in order already).
  auto by_module = [](const ModulePointer& x, const ModulePointer& y) { return x.module < y.module; };
  if (!std::is_sorted(out.module_pointers.begin(), out.module_pointers.end(), by_module))
    std::stable_sort(out.module_pointers.begin(), out.module_pointers.end(), by_module);
  if (!ctx.opts.emulator.empty()) {
    // Every process is laid out alike under qemu-user: one note, not one per module.
    if (!out.range_checked.empty())
      note(ctx) << "the emulator loads every module at the same address in every run: pointers into modules, and "
                << "into memory the image does not hold, were recognized by address range (docs/cross.md)";
    out.range_checked.clear();
  }
  for (std::uint32_t m : out.range_checked)
    note(ctx) << a.modules[m].name << " was loaded at the same address in both bake runs (ASLR off "
              << "or a non-PIE executable); its pointers were recognized by address range alone";
  return out;
}

}  // namespace fastboot::baker
