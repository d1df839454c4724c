// What the programs generate.py writes share: a deterministic random source for the
// initializers, the types the generator draws from that the standard library does not have
// (C allocations, tagged pointers, graphs of shared pointers, a class hierarchy), and a digest
// that walks a root's values and never prints an address.
//
// The digest of each part is one line, "<part> <hash> <values>"; FUZZ_DIGEST=full prints every
// value it hashed as well, so two runs that differ can be compared line by line.
#pragma once

#include <fastboot/fastboot.hpp>

#include "e2e.h"

#include <any>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <forward_list>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace fuzz {

// The end-to-end programs' count of initializer runs, their status line, and their roots: baked,
// or frozen where the program is built with E2E_FROZEN (made on the first run, mapped after).
using ::initializer_runs;
using ::print_status;
using ::Root;

// splitmix64: the same sequence in every run, so both bake runs build the same heap.
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  std::string str(std::size_t lo, std::size_t hi) {
    std::string s(lo + below(hi - lo + 1), ' ');
    for (char& c : s) c = char('a' + below(26));
    return s;
  }
};

class Digest {
 public:
  explicit Digest(bool full) : full_(full) {}
  void begin(const char* part) {
    part_ = part;
    hash_ = 0xcbf29ce484222325ull;
    values_ = 0;
    ids_.clear();
  }
  void end() { std::printf("%s %016llx %llu\n", part_, (unsigned long long)hash_, (unsigned long long)values_); }
  void put(std::string_view what, std::string_view value) {
    mix(what);
    mix(value);
    ++values_;
    if (full_) std::printf("  %.*s %.*s\n", int(what.size()), what.data(), int(value.size()), value.data());
  }
  void num(std::string_view what, std::uint64_t v) { put(what, std::to_string(v)); }
  // An object's identity, numbered in the order the walk meets it: the first meeting walks it.
  std::pair<std::size_t, bool> visit(const void* p) {
    auto [it, fresh] = ids_.emplace(p, ids_.size());
    return {it->second, fresh};
  }

 private:
  void mix(std::string_view s) {
    for (unsigned char c : s) hash_ = (hash_ ^ c) * 0x100000001b3ull;
    hash_ = (hash_ ^ 0xff) * 0x100000001b3ull;
  }
  bool full_;
  const char* part_ = "";
  std::uint64_t hash_ = 0, values_ = 0;
  std::unordered_map<const void*, std::size_t> ids_;
};

template <class T, template <class...> class Template>
inline constexpr bool is_a = false;
template <class... A, template <class...> class Template>
inline constexpr bool is_a<Template<A...>, Template> = true;

using Function = std::function<std::int64_t(std::int64_t)>;

template <class T>
void dig(Digest& d, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    d.num("bool", v);
  } else if constexpr (std::is_integral_v<T>) {
    d.num("int", std::uint64_t(std::int64_t(v)));
  } else if constexpr (std::is_floating_point_v<T>) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    d.num("double", bits);
  } else if constexpr (std::is_same_v<T, std::string>) {
    d.put("string", v);
  } else if constexpr (std::is_pointer_v<T>) {
    if (v) dig(d, *v);
    else d.put("null", "");
  } else if constexpr (requires { v.dig(d); }) {
    v.dig(d);
  } else if constexpr (is_a<T, std::optional>) {
    if (v) {
      d.put("some", "");
      dig(d, *v);
    } else {
      d.put("none", "");
    }
  } else if constexpr (is_a<T, std::variant>) {
    d.num("alternative", v.index());
    std::visit([&](const auto& x) { dig(d, x); }, v);
  } else if constexpr (is_a<T, std::unique_ptr>) {
    if (v) dig(d, *v);
    else d.put("null", "");
  } else if constexpr (is_a<T, std::shared_ptr>) {
    if (!v) {
      d.put("null", "");
      return;
    }
    auto [id, fresh] = d.visit(v.get());
    d.num("shared", id);
    d.num("uses", std::uint64_t(v.use_count()));
    if (fresh) dig(d, *v);
  } else if constexpr (is_a<T, std::weak_ptr>) {
    if (auto s = v.lock()) {
      auto [id, fresh] = d.visit(s.get());
      d.num("weak", id);
      if (fresh) dig(d, *s);
    } else {
      d.put("expired", "");
    }
  } else if constexpr (is_a<T, std::pair>) {
    dig(d, v.first);
    dig(d, v.second);
  } else if constexpr (is_a<T, std::tuple>) {
    std::apply([&](const auto&... x) { (dig(d, x), ...); }, v);
  } else if constexpr (std::is_same_v<T, std::any>) {
    if (const auto* i = std::any_cast<std::int64_t>(&v)) dig(d, *i);
    else if (const auto* s = std::any_cast<std::string>(&v)) dig(d, *s);
    else if (const auto* w = std::any_cast<std::vector<std::int64_t>>(&v)) dig(d, *w);
    else d.put("any", v.has_value() ? "other" : "empty");
  } else if constexpr (std::is_same_v<T, Function>) {
    if (!v) {
      d.put("function", "empty");
      return;
    }
    for (std::int64_t x : {0, 1, 7, 1000}) d.num("call", std::uint64_t(v(x)));
  } else if constexpr (requires { v.begin(); v.end(); }) {
    std::uint64_t n = 0;
    for (auto it = v.begin(); it != v.end(); ++it) ++n;
    d.num("size", n);
    for (const auto& x : v) dig(d, x);
  } else {
    static_assert(sizeof(T) == 0, "fuzz::dig: no walk for this type");
  }
}

// A string that C code allocated (strdup), and a buffer grown by realloc.
struct CString {
  char* p = nullptr;
  CString() = default;
  explicit CString(const std::string& s) : p(strdup(s.c_str())) {}
  CString(CString&& o) noexcept : p(std::exchange(o.p, nullptr)) {}
  CString& operator=(CString&& o) noexcept {
    std::swap(p, o.p);
    return *this;
  }
  ~CString() { std::free(p); }
  void dig(Digest& d) const { d.put("cstring", p ? std::string_view(p) : std::string_view("(null)")); }
};

struct CBuffer {
  unsigned char* p = nullptr;
  std::size_t n = 0;
  CBuffer() = default;
  CBuffer(Rng& r, std::size_t steps) {
    for (std::size_t i = 0; i < steps; ++i) {
      std::size_t grow = 1 + r.below(200);
      p = static_cast<unsigned char*>(std::realloc(p, n + grow));
      for (std::size_t k = 0; k < grow; ++k) p[n + k] = static_cast<unsigned char>(r.next());
      n += grow;
    }
  }
  CBuffer(CBuffer&& o) noexcept : p(std::exchange(o.p, nullptr)), n(std::exchange(o.n, 0)) {}
  CBuffer& operator=(CBuffer&& o) noexcept {
    std::swap(p, o.p);
    std::swap(n, o.n);
    return *this;
  }
  ~CBuffer() { std::free(p); }
  void dig(Digest& d) const { d.put("cbuffer", std::string_view(reinterpret_cast<const char*>(p), n)); }
};

// A pointer to a heap object with a tag in its low 3 bits (new gives 16-aligned memory, even to
// an object smaller than the tag: a 4-byte int tagged with 5), or in its upper 16 bits (user
// addresses have 47). The object is never freed, as such tables often leak.
template <class T, bool kHigh>
struct Tagged {
  static constexpr std::uintptr_t kLow = 7;
  static constexpr std::uintptr_t kMask = kHigh ? (std::uintptr_t(1) << 48) - 1 : ~kLow;
  std::uintptr_t bits = 0;
  Tagged() = default;
  Tagged(T* p, std::uint64_t tag)
      : bits(reinterpret_cast<std::uintptr_t>(p) | (kHigh ? (tag & 0xffff) << 48 : tag & kLow)) {}
  const T* get() const { return reinterpret_cast<const T*>(bits & kMask); }
  void dig(Digest& d) const {
    d.num("tag", kHigh ? bits >> 48 : bits & kLow);
    if (get()) fuzz::dig(d, *get());
    else d.put("null", "");
  }
};

// Nodes that own each other through shared pointers, in cycles, with weak back edges.
struct GraphNode {
  std::int64_t value = 0;
  std::vector<std::shared_ptr<GraphNode>> out;
  std::weak_ptr<GraphNode> back;
  void dig(Digest& d) const {
    d.num("node", std::uint64_t(value));
    fuzz::dig(d, out);
    fuzz::dig(d, back);
  }
};

struct Graph {
  std::vector<std::shared_ptr<GraphNode>> nodes;
  Graph() = default;
  Graph(Rng& r, std::size_t n, std::size_t edges) {
    for (std::size_t i = 0; i < n; ++i) {
      nodes.push_back(std::make_shared<GraphNode>());
      nodes.back()->value = std::int64_t(r.next());
    }
    for (std::size_t e = 0; n && e < edges; ++e) nodes[r.below(n)]->out.push_back(nodes[r.below(n)]);
    for (std::size_t i = 0; n && i < n; ++i)
      if (r.below(2)) nodes[i]->back = nodes[r.below(n)];
    if (n > 1 && r.below(2)) nodes.resize(n / 2);  // some nodes now live only through cycles
  }
  void dig(Digest& d) const { fuzz::dig(d, nodes); }
};

// A class hierarchy: single, multiple and virtual inheritance, and pointers to a second base.
struct Shape {
  std::int64_t id = 0;
  virtual ~Shape() = default;
  virtual std::int64_t area() const = 0;
  virtual std::string name() const { return "shape"; }
};
struct Square : Shape {
  std::string label;
  std::int64_t area() const override { return id * 3 + std::int64_t(label.size()); }
  std::string name() const override { return "square " + label; }
};
struct Colored {
  std::int64_t color = 0;
  virtual ~Colored() = default;
  virtual std::int64_t hue() const { return color ^ 0x55; }
};
struct Tile : Shape, Colored {
  std::vector<std::int64_t> corners;
  std::int64_t area() const override {
    std::int64_t a = id;
    for (std::int64_t c : corners) a = a * 31 + c;
    return a;
  }
  std::int64_t hue() const override { return color * 7 + id; }
  std::string name() const override { return "tile"; }
};
struct Layer : virtual Shape {
  std::string layer;
  std::int64_t area() const override { return id + std::int64_t(layer.size()); }
};
struct Mask : virtual Shape {
  std::int64_t bits = 0;
  std::int64_t area() const override { return id ^ bits; }
};
struct Stack final : Layer, Mask {
  std::shared_ptr<std::string> note;
  std::int64_t area() const override { return Layer::area() + Mask::area() + (note ? std::int64_t(note->size()) : -1); }
  std::string name() const override { return "stack " + layer; }
};

struct Shapes {
  std::vector<std::unique_ptr<Shape>> all;
  std::vector<const Colored*> colored;  // second bases of the tiles in `all`
  std::vector<const Mask*> masks;       // bases of the stacks in `all`, behind a virtual base
  Shapes() = default;
  Shapes(Rng& r, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      switch (r.below(4)) {
        case 0: {
          auto s = std::make_unique<Square>();
          s->label = r.str(0, 30);
          all.push_back(std::move(s));
          break;
        }
        case 1: {
          auto t = std::make_unique<Tile>();
          t->color = std::int64_t(r.below(1000));
          for (std::uint64_t k = r.below(6); k > 0; --k) t->corners.push_back(std::int64_t(r.next()));
          colored.push_back(t.get());
          all.push_back(std::move(t));
          break;
        }
        case 2: {
          auto l = std::make_unique<Layer>();
          l->layer = r.str(0, 20);
          all.push_back(std::move(l));
          break;
        }
        default: {
          auto s = std::make_unique<Stack>();
          s->layer = r.str(0, 20);
          s->bits = std::int64_t(r.next());
          if (r.below(2)) s->note = std::make_shared<std::string>(r.str(0, 40));
          masks.push_back(s.get());
          all.push_back(std::move(s));
          break;
        }
      }
      all.back()->id = std::int64_t(r.below(1 << 20));
    }
  }
  void dig(Digest& d) const {
    d.num("shapes", all.size());
    for (const auto& s : all) {
      d.put("name", s->name());
      d.num("area", std::uint64_t(s->area()));
    }
    for (const Colored* c : colored) d.num("hue", std::uint64_t(c->hue()));
    for (const Mask* m : masks) d.num("mask", std::uint64_t(m->area()) ^ std::uint64_t(m->bits));
  }
};

// A pointer to a function-local static the initializers constructed, with the function that
// owns it: after the bake, calling the function must find the same object, not build another.
template <class T>
struct StaticRef {
  const T* p = nullptr;
  const T& (*owner)() = nullptr;
  void dig(Digest& d) const {
    d.num("same object", p == &owner());
    fuzz::dig(d, *p);
  }
};

// A file the initializer opened and kept (a bake refuses it: the file would not be open).
struct OpenFile {
  std::FILE* f = nullptr;
  void dig(Digest& d) const { d.put("file", f ? "open" : "closed"); }
};

// Functions a std::function can point at: addresses in the program.
inline std::int64_t twice(std::int64_t x) { return 2 * x; }
inline std::int64_t square_plus_one(std::int64_t x) { return x * x + 1; }

inline bool full_digest() {
  const char* v = std::getenv("FUZZ_DIGEST");
  return v && std::strcmp(v, "full") == 0;
}

}  // namespace fuzz
