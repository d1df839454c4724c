#include "report.h"

#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/JSON.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <queue>
#include <unordered_map>
#include <sstream>

#include "llvm-compat.h"
#include "padding.h"
#include "symbolize.h"

namespace fastboot::baker {

namespace json = llvm::json;

namespace {

// The element type an allocating function names, when debug information does not say:
// `std::__new_allocator<T>::allocate` (not inlined), and the buffers of std::string and
// std::vector<T>, whose members allocate nothing else.
std::string type_from_function(const std::string& fn) {
  auto template_argument_before = [&](std::size_t close) -> std::string {
    int depth = 0;
    for (std::size_t i = close + 1; i-- > 0;) {
      if (fn[i] == '>') ++depth;
      else if (fn[i] == '<' && --depth == 0) return fn.substr(i + 1, close - i - 1);
    }
    return "";
  };
  if (auto at = fn.find(">::allocate("); at != std::string::npos) {
    std::string t = template_argument_before(at);
    if (!t.empty()) return t;
  }
  for (const char* string_class : {"std::__cxx11::basic_string<char", "std::basic_string<char", "std::__1::basic_string<char"})
    if (fn.rfind(string_class, 0) == 0) return "char[] (std::string)";
  for (const char* vector_class : {"std::vector<", "std::__1::vector<"})
    if (fn.rfind(vector_class, 0) == 0) {
      std::string args = fn.substr(std::strlen(vector_class));
      int depth = 0;
      for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == '<') ++depth;
        else if (args[i] == '>') --depth;
        if (depth == 0 && args[i] == ',') return args.substr(0, i) + "[] (std::vector)";
      }
    }
  return "";
}

constexpr std::size_t kLargest = 10;

void add(std::vector<ReportGroup>& groups, std::map<std::string, std::size_t>& index, const std::string& name,
         std::uint64_t bytes, std::uint64_t objects) {
  auto [it, fresh] = index.try_emplace(name, groups.size());
  if (fresh) groups.push_back({name, 0, 0, {}});
  groups[it->second].bytes += bytes;
  groups[it->second].objects += objects;
}

// What decides the type and site an allocation is listed under (see describe in build_report):
// the call that allocated it, whether it is a root's object, and its first word where that
// names its class (a pointer to a vtable copy in the arena, or into a module). Allocations of
// one kind are listed alike.
struct Kind {
  std::uint64_t site = 0, first_word = 0;
  std::uint32_t module = 0, how = 0;  // how: 0 no class word, 1 arena word, 2 module pointer; +4 root object
  bool operator==(const Kind&) const = default;
};
struct KindHash {
  std::size_t operator()(const Kind& k) const {
    std::uint64_t h = k.site * 0x9e3779b97f4a7c15ull ^ (k.first_word + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull;
    return std::size_t(h ^ (h >> 29) ^ (std::uint64_t(k.module) << 7 | k.how));
  }
};

void sort_largest_first(std::vector<ReportGroup>& groups) {
  std::stable_sort(groups.begin(), groups.end(), [](const ReportGroup& x, const ReportGroup& y) {
    return x.bytes != y.bytes ? x.bytes > y.bytes : x.name < y.name;
  });
  for (ReportGroup& g : groups) sort_largest_first(g.children);
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string s;
  for (std::uint8_t b : bytes) s += fmt::format("{:02x}", b);
  return s;
}

json::Array groups_json(const std::vector<ReportGroup>& groups) {
  json::Array out;
  for (const ReportGroup& g : groups) {
    json::Object o{{"name", g.name}, {"bytes", std::int64_t(g.bytes)}, {"objects", std::int64_t(g.objects)}};
    if (!g.children.empty()) o["sites"] = groups_json(g.children);
    out.push_back(std::move(o));
  }
  return out;
}

json::Object counts_json(const std::map<std::string, std::uint64_t>& counts) {
  json::Object o;
  for (const auto& [k, v] : counts) o[k] = std::int64_t(v);
  return o;
}

// Reading: every field is checked; a report that lacks one is not a report.
struct Reader {
  std::string error;
  std::uint64_t u64(const json::Object& o, const char* key) {
    if (auto v = o.getInteger(key); v && *v >= 0) return std::uint64_t(*v);
    fail(key);
    return 0;
  }
  double number(const json::Object& o, const char* key) {
    if (auto v = o.getNumber(key)) return *v;
    fail(key);
    return 0;
  }
  std::string str(const json::Object& o, const char* key) {
    if (auto v = o.getString(key)) return v->str();
    fail(key);
    return "";
  }
  const json::Object* obj(const json::Object& o, const char* key) {
    if (auto* v = o.getObject(key)) return v;
    fail(key);
    return nullptr;
  }
  const json::Array* arr(const json::Object& o, const char* key) {
    if (auto* v = o.getArray(key)) return v;
    fail(key);
    return nullptr;
  }
  void fail(const char* key) {
    if (error.empty()) error = fmt::format("the report has no valid \"{}\"", key);
  }
  std::vector<ReportGroup> groups(const json::Array* a, const char* children_key) {
    std::vector<ReportGroup> out;
    if (!a) return out;
    for (const json::Value& v : *a) {
      const json::Object* o = v.getAsObject();
      if (!o) {
        fail("group");
        break;
      }
      ReportGroup g{str(*o, "name"), u64(*o, "bytes"), u64(*o, "objects"), {}};
      if (children_key && o->get(children_key)) g.children = groups(arr(*o, children_key), nullptr);
      out.push_back(std::move(g));
    }
    return out;
  }
  std::map<std::string, std::uint64_t> counts(const json::Object* o) {
    std::map<std::string, std::uint64_t> out;
    if (!o) return out;
    for (const auto& [k, v] : *o) {
      auto n = v.getAsInteger();
      if (!n || *n < 0) fail("pointer count");
      else out[k.str()] = std::uint64_t(*n);
    }
    return out;
  }
  std::vector<std::string> strings(const json::Array* a) {
    std::vector<std::string> out;
    if (!a) return out;
    for (const json::Value& v : *a) {
      if (auto s = v.getAsString()) out.push_back(s->str());
      else fail("string");
    }
    return out;
  }
};

constexpr char kSectionTag[8] = {'F', 'B', 'R', 'E', 'P', 'O', 'R', 'T'};
constexpr std::uint64_t kMaxReportBytes = std::uint64_t(1) << 30;

}  // namespace

std::string json_text(const json::Value& value, bool pretty) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (pretty) os << llvm::formatv("{0:2}", value);
  else os << value;
  os.flush();
  return text;
}

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  if (bytes < std::uint64_t(1) << 30) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  return fmt::format("{:.2f} GiB", bytes / 1073741824.0);
}

const RootReport* BakeReport::root(const std::string& name) const {
  for (const RootReport& r : roots)
    if (r.name == name) return &r;
  return nullptr;
}

const RootReport* BakeReport::biggest_root() const {
  const RootReport* best = nullptr;
  for (const RootReport& r : roots)
    if (!best || r.bytes > best->bytes) best = &r;
  return best;
}

// Rates from bench/load-estimate on the 2-core machine of docs/PERFORMANCE.md, where the loader's
// own FASTBOOT_LOG time is 0.30-0.35 ms for a mapped image of any size (opening the executable,
// three reads, the mapping, the checks, and the page faults of the pages they touch, which cost
// 5-10 us each on that virtual machine); 1,000,000 vtable pointers written in a PIE ~15 ms; an
// arena decompressed up front on both cores at 0.35 ms per MiB with LZ4 and 0.6 ms with zstd
// (fresh memory handed out and zeroed by the kernel costs as much as decoding).
constexpr double kMapMs = 0.3, kPerPointerMs = 15e-6;

double estimate_start_ms(std::uint64_t patched, std::uint64_t decompressed_bytes, const std::string& compression) {
  double per_mib_ms = compression == "lz4" ? 0.35 : 0.6;
  return kMapMs + double(patched) * kPerPointerMs + double(decompressed_bytes) / (1 << 20) * per_mib_ms;
}

// First touch: 2.7 ms to register the arena with userfaultfd and start the fault server and the
// background filler, and 0.14 ms per MiB stored to check every chunk's checksum before any is
// used (same machine and tool as above).
double estimate_first_touch_ms(std::uint64_t patched, std::uint64_t stored_bytes) {
  return kMapMs + 2.7 + double(patched) * kPerPointerMs + double(stored_bytes) / (1 << 20) * 0.14;
}

BakeReport build_report(Context& ctx, const Dump& a, const Classification& c, const Resolution& r,
                        const std::vector<GlobalRestore>& globals, const VtableCopies& vtables, PaddingOracle& types) {
  Timer timer(ctx, "report");
  BakeReport rep;
  rep.program = std::filesystem::path(ctx.opts.program).filename().string();
  if (const std::string suffix = ".fastboot-unbaked"; rep.program.size() > suffix.size() &&
                                                       rep.program.ends_with(suffix))
    rep.program.resize(rep.program.size() - suffix.size());
  if (!a.modules.empty()) rep.build_id = hex(a.modules[0].build_id);
  rep.compressed = ctx.opts.compress != image::Compression::none;
  rep.compression = ctx.opts.compress == image::Compression::lz4    ? "lz4"
                    : ctx.opts.compress == image::Compression::zstd ? "zstd"
                                                                     : "none";
  rep.pie = a.modules.empty() || a.modules[0].bias != 0;
  rep.arena_bytes = a.arena.size();
  rep.arena_pointers = c.arena_pointers;
  rep.module_pointers = c.module_pointers.size();

  Symbolizer sym(a);
  std::map<std::uint64_t, std::pair<std::string, std::string>> named;  // site -> type, description
  auto name_site = [&](std::uint64_t site) -> const std::pair<std::string, std::string>& {
    auto [it, fresh] = named.try_emplace(site);
    if (fresh) {
      std::string type = types.type_name_at(site);
      Symbolizer::Site call = sym.site(site);
      if (type.empty()) type = type_from_function(call.function);
      it->second = {type.empty() ? "(type unknown)" : type, std::move(call.description)};
    }
    return it->second;
  };

  // Roots by the initializer that was running when each allocation was made; allocations made
  // outside any initializer (restored globals' targets made by a library) go to "(other)".
  rep.roots.resize(a.roots.size());
  for (std::size_t i = 0; i < a.roots.size(); ++i) rep.roots[i].name = a.roots[i].name;
  struct Index {
    std::map<std::string, std::size_t> types, sites;
    std::map<std::string, std::map<std::string, std::size_t>> type_sites;
    using Big = std::pair<std::uint64_t, std::size_t>;  // size, allocation
    std::priority_queue<Big, std::vector<Big>, std::greater<Big>> largest;
  };
  std::vector<Index> index(a.roots.size());
  auto root_of = [&](std::uint32_t root) -> std::size_t {
    if (root < a.roots.size()) return root;
    if (rep.roots.size() == a.roots.size()) {
      rep.roots.push_back({});
      rep.roots.back().name = "(other)";
      index.emplace_back();
    }
    return a.roots.size();
  };
  // Pointers into modules, by root and module; those into a module ASLR moves are written at
  // every start.
  std::map<std::uint32_t, std::string> module_name;
  for (const ResolvedModule& m : r.modules) module_name[m.module] = m.name;
  AllocIndex allocs(a.allocs, a.arena.size());
  std::vector<std::uint32_t> first_word(a.allocs.size(), ~0u);  // module pointer at offset 0
  for (std::size_t k = 0; k < c.module_pointers.size(); ++k) {
    const ModulePointer& p = c.module_pointers[k];
    const std::string& name = module_name[p.module];
    rep.modules[name] += 1;
    std::size_t at = allocs.at_or_before(p.arena_offset);
    if (at != AllocIndex::kNone) {
      rep.roots[root_of(a.allocs[at].root)].module_pointers[name] += 1;
      if (a.allocs[at].offset == p.arena_offset) first_word[at] = std::uint32_t(k);
    }
    bool fixed = p.module < a.modules.size() && a.modules[p.module].is_executable && a.modules[p.module].bias == 0;
    if (!fixed) rep.patched_at_startup += 1;
  }
  // An object whose first word points into a vtable is of the class that vtable is for: its
  // dynamic type, named by the symbol table even without debug information.
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::string> vtable_class;
  auto dynamic_type = [&](std::size_t alloc) -> std::string {
    const protocol::DumpAlloc& al = a.allocs[alloc];
    std::uint64_t word = al.offset / 8;
    if (al.size >= 8 && word / 64 < c.bitmap.size() && (c.bitmap[word / 64] >> (word % 64) & 1)) {
      std::uint64_t v;
      std::memcpy(&v, a.arena.data() + al.offset, 8);
      const VtableCopy* copy = vtables.at(v - a.arena_base);
      return copy ? copy->name : "";
    }
    if (first_word[alloc] == ~0u) return "";
    const ModulePointer& p = c.module_pointers[first_word[alloc]];
    const std::uint64_t target = module_target(a, p);
    auto [it, fresh] = vtable_class.try_emplace({p.module, target});
    if (fresh && p.module < a.modules.size()) {
      std::string symbol = sym.data_symbol(a.modules[p.module], untagged(target)).name;
      if (symbol.starts_with("vtable for ")) it->second = symbol.substr(11);
    }
    return it->second;
  };
  // The type and site the tables list an allocation under.
  auto describe = [&](std::size_t i) -> std::pair<std::string, std::string> {
    const protocol::DumpAlloc& alloc = a.allocs[i];
    if (alloc.flags & kAllocVtableCopy) {
      const VtableCopy* copy = vtables.at(alloc.offset);
      return {"(vtable copy)", fmt::format("vtable for {}, copied into the image", copy ? copy->name : "?")};
    }
    auto [type, site] = name_site(a.site_of(alloc));
    if (std::string dynamic = dynamic_type(i); !dynamic.empty()) type = dynamic;
    if (alloc.flags & protocol::kAllocRootObject) type = "(root object)";
    return {type, site};
  };

  // Millions of allocations come in a few thousand kinds: they are counted by kind, and each
  // kind is named once.
  auto kind_of = [&](std::size_t i) {
    const protocol::DumpAlloc& al = a.allocs[i];
    Kind k;
    k.site = al.site;
    k.how = al.flags & protocol::kAllocRootObject ? 4 : 0;
    if (al.flags & kAllocVtableCopy) {  // named by its offset
      k.how |= 3;
      k.first_word = al.offset;
      return k;
    }
    std::uint64_t word = al.offset / 8;
    if (al.size >= 8 && word / 64 < c.bitmap.size() && (c.bitmap[word / 64] >> (word % 64) & 1)) {
      std::uint64_t v;
      std::memcpy(&v, a.arena.data() + al.offset, 8);
      if (const VtableCopy* copy = vtables.at(v - a.arena_base)) {  // else no class word
        k.first_word = copy->arena_offset;
        k.how |= 1;
      }
    } else if (first_word[i] != ~0u) {
      const ModulePointer& p = c.module_pointers[first_word[i]];
      k.first_word = module_target(a, p);
      k.module = p.module;
      k.how |= 2;
    }
    return k;
  };
  struct Count {
    std::size_t example;  // an allocation of the kind
    std::uint64_t bytes = 0, objects = 0;
  };
  std::vector<std::unordered_map<Kind, Count, KindHash>> kinds(a.roots.size() + 1);
  for (std::size_t i = 0; i < a.allocs.size(); ++i) {
    const protocol::DumpAlloc& alloc = a.allocs[i];
    if (alloc.flags & protocol::kAllocFreed) continue;
    std::size_t ri = root_of(alloc.root);
    RootReport& root = rep.roots[ri];
    Index& ix = index[ri];
    root.bytes += alloc.size;
    root.objects += 1;
    rep.live_bytes += alloc.size;
    rep.allocations += 1;
    Count& n = kinds[ri].try_emplace(kind_of(i), Count{i}).first->second;
    n.bytes += alloc.size;
    n.objects += 1;
    if (ix.largest.size() < kLargest || alloc.size >= ix.largest.top().first) {  // a later index wins a tie
      ix.largest.emplace(alloc.size, i);
      if (ix.largest.size() > kLargest) ix.largest.pop();
    }
  }
  for (std::size_t ri = 0; ri < rep.roots.size(); ++ri) {
    RootReport& root = rep.roots[ri];
    Index& ix = index[ri];
    for (const auto& [kind, n] : kinds[ri]) {
      auto [type, site] = describe(n.example);
      add(root.by_type, ix.types, type, n.bytes, n.objects);
      std::size_t t = ix.types[type];
      add(root.by_type[t].children, ix.type_sites[type], site, n.bytes, n.objects);
      add(root.by_site, ix.sites, site, n.bytes, n.objects);
    }
  }
  for (std::size_t ri = 0; ri < rep.roots.size(); ++ri) {
    RootReport& root = rep.roots[ri];
    sort_largest_first(root.by_type);
    sort_largest_first(root.by_site);
    for (auto& q = index[ri].largest; !q.empty(); q.pop()) {
      auto [type, site] = describe(q.top().second);
      root.largest.push_back({a.allocs[q.top().second].size, type, site});
    }
    std::reverse(root.largest.begin(), root.largest.end());
  }

  for (const GlobalRestore& g : globals) {
    const Module& m = a.modules[g.module];
    std::string symbol = sym.data_symbol(m, g.offset).name;
    rep.globals.push_back(fmt::format("{}: {}", m.is_executable ? "executable" : std::filesystem::path(m.name).filename().string(),
                                      symbol.empty() ? fmt::format("{:#x}", g.offset) : symbol));
  }
  rep.globals_restored = globals.size();
  rep.decompressed_bytes = rep.compressed ? rep.arena_bytes : 0;
  rep.estimated_start_ms = estimate_start_ms(rep.patched_at_startup, rep.decompressed_bytes, rep.compression);
  for (const auto& [kind, items] : ctx.audit)
    if (!items.empty()) rep.audit[kind].assign(items.begin(), items.end());
  return rep;
}

std::string to_json(const BakeReport& rep, bool pretty) {
  json::Array roots;
  for (const RootReport& r : rep.roots) {
    json::Array largest;
    for (const ReportObject& o : r.largest)
      largest.push_back(json::Object{{"bytes", std::int64_t(o.bytes)}, {"type", o.type}, {"site", o.site}});
    roots.push_back(json::Object{{"name", r.name},
                                 {"bytes", std::int64_t(r.bytes)},
                                 {"objects", std::int64_t(r.objects)},
                                 {"types", groups_json(r.by_type)},
                                 {"sites", groups_json(r.by_site)},
                                 {"largest", std::move(largest)},
                                 {"module_pointers", counts_json(r.module_pointers)}});
  }
  json::Object audit;
  for (const auto& [kind, items] : rep.audit) audit[kind] = json::Array(items);
  json::Value doc = json::Object{
      {"schema", BakeReport::kSchema},
      {"program", rep.program},
      {"build_id", rep.build_id},
      {"image", json::Object{{"bytes", std::int64_t(rep.image_bytes)},
                             {"arena_bytes", std::int64_t(rep.arena_bytes)},
                             {"live_bytes", std::int64_t(rep.live_bytes)},
                             {"allocations", std::int64_t(rep.allocations)},
                             {"arena_pointers", std::int64_t(rep.arena_pointers)},
                             {"module_pointers", std::int64_t(rep.module_pointers)},
                             {"compressed", rep.compressed},
                             {"compression", rep.compression},
                             {"pie", rep.pie}}},
      {"startup", json::Object{{"patched_pointers", std::int64_t(rep.patched_at_startup)},
                               {"globals_restored", std::int64_t(rep.globals_restored)},
                               {"decompressed_bytes", std::int64_t(rep.decompressed_bytes)},
                               {"estimated_ms", rep.estimated_start_ms},
                               {"estimated_first_touch_ms", rep.estimated_first_touch_ms}}},
      {"roots", std::move(roots)},
      {"modules", counts_json(rep.modules)},
      {"globals", json::Array(rep.globals)},
      {"audit", std::move(audit)},
  };
  return json_text(doc, pretty);
}

std::optional<BakeReport> from_json(const std::string& text, std::string& error) {
  auto parsed = json::parse(text);
  if (!parsed) {
    error = "not JSON: " + llvm::toString(parsed.takeError());
    return std::nullopt;
  }
  const json::Object* doc = parsed->getAsObject();
  if (!doc || doc->getString("schema") != std::optional<llvm::StringRef>(BakeReport::kSchema)) {
    error = fmt::format("not a {} document", BakeReport::kSchema);
    return std::nullopt;
  }
  Reader in;
  BakeReport rep;
  rep.program = in.str(*doc, "program");
  rep.build_id = in.str(*doc, "build_id");
  if (const json::Object* image = in.obj(*doc, "image")) {
    rep.image_bytes = in.u64(*image, "bytes");
    rep.arena_bytes = in.u64(*image, "arena_bytes");
    rep.live_bytes = in.u64(*image, "live_bytes");
    rep.allocations = in.u64(*image, "allocations");
    rep.arena_pointers = in.u64(*image, "arena_pointers");
    rep.module_pointers = in.u64(*image, "module_pointers");
    rep.compressed = value_or(image->getBoolean("compressed"), false);
    rep.compression = value_or(image->getString("compression"), llvm::StringRef(rep.compressed ? "zstd" : "none")).str();
    rep.pie = value_or(image->getBoolean("pie"), true);
  }
  if (const json::Object* startup = in.obj(*doc, "startup")) {
    rep.patched_at_startup = in.u64(*startup, "patched_pointers");
    rep.globals_restored = in.u64(*startup, "globals_restored");
    rep.decompressed_bytes = in.u64(*startup, "decompressed_bytes");
    rep.estimated_start_ms = in.number(*startup, "estimated_ms");
    rep.estimated_first_touch_ms = value_or(startup->getNumber("estimated_first_touch_ms"), 0.0);
  }
  if (const json::Array* roots = in.arr(*doc, "roots"))
    for (const json::Value& v : *roots) {
      const json::Object* o = v.getAsObject();
      if (!o) {
        in.fail("roots");
        break;
      }
      RootReport r;
      r.name = in.str(*o, "name");
      r.bytes = in.u64(*o, "bytes");
      r.objects = in.u64(*o, "objects");
      r.by_type = in.groups(in.arr(*o, "types"), "sites");
      r.by_site = in.groups(in.arr(*o, "sites"), nullptr);
      if (const json::Array* largest = in.arr(*o, "largest"))
        for (const json::Value& l : *largest)
          if (const json::Object* lo = l.getAsObject())
            r.largest.push_back({in.u64(*lo, "bytes"), in.str(*lo, "type"), in.str(*lo, "site")});
      r.module_pointers = in.counts(in.obj(*o, "module_pointers"));
      rep.roots.push_back(std::move(r));
    }
  rep.modules = in.counts(in.obj(*doc, "modules"));
  rep.globals = in.strings(in.arr(*doc, "globals"));
  if (const json::Object* audit = in.obj(*doc, "audit"))
    for (const auto& [kind, items] : *audit) rep.audit[kind.str()] = in.strings(items.getAsArray());
  if (!in.error.empty()) {
    error = in.error;
    return std::nullopt;
  }
  return rep;
}

std::vector<std::uint8_t> encode_report_section(const BakeReport& report) {
  std::string text = to_json(report, false);
  std::vector<std::uint8_t> out(24 + ZSTD_compressBound(text.size()));
  std::memcpy(out.data(), kSectionTag, 8);
  std::uint64_t raw = text.size();
  std::memcpy(out.data() + 8, &raw, 8);
  std::size_t n = ZSTD_compress(out.data() + 24, out.size() - 24, text.data(), text.size(), 9);
  if (ZSTD_isError(n)) n = 0;
  std::uint64_t packed = n;
  std::memcpy(out.data() + 16, &packed, 8);
  out.resize(24 + n);
  return out;
}

std::optional<BakeReport> decode_report_section(const std::vector<std::uint8_t>& bytes, std::string& error) {
  std::uint64_t raw = 0, packed = 0;
  if (bytes.size() < 24 || std::memcmp(bytes.data(), kSectionTag, 8) != 0) {
    error = "the .fastboot.report section is not a bake report";
    return std::nullopt;
  }
  std::memcpy(&raw, bytes.data() + 8, 8);
  std::memcpy(&packed, bytes.data() + 16, 8);
  if (packed != bytes.size() - 24 || raw > kMaxReportBytes) {
    error = "the .fastboot.report section is truncated or damaged";
    return std::nullopt;
  }
  std::string text(raw, '\0');
  std::size_t n = ZSTD_decompress(text.data(), text.size(), bytes.data() + 24, packed);
  if (ZSTD_isError(n) || n != raw) {
    error = "the .fastboot.report section does not decompress";
    return std::nullopt;
  }
  return from_json(text, error);
}

std::optional<BakeReport> read_report(const std::string& program, std::string& error) {
  auto binary = llvm::object::ObjectFile::createObjectFile(program);
  if (!binary) {
    error = program + ": " + llvm::toString(binary.takeError());
    return std::nullopt;
  }
  for (const llvm::object::SectionRef& s : binary->getBinary()->sections()) {
    auto name = s.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (*name != ".fastboot.report") continue;
    auto contents = s.getContents();
    if (!contents) {
      error = program + ": " + llvm::toString(contents.takeError());
      return std::nullopt;
    }
    std::vector<std::uint8_t> bytes(contents->begin(), contents->end());
    auto report = decode_report_section(bytes, error);
    if (!report) error = program + ": " + error;
    return report;
  }
  error = program + ": no .fastboot.report section (not baked, baked by an older fastboot, or the section was removed)";
  return std::nullopt;
}

std::optional<BakeReport> load_report(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open";
    return std::nullopt;
  }
  if (in.peek() != '{') return read_report(path, error);
  std::stringstream text;
  text << in.rdbuf();
  auto report = from_json(text.str(), error);
  if (!report) error = path + ": " + error;
  return report;
}

}  // namespace fastboot::baker
