#!/usr/bin/env python3
"""Writes a random C++ program whose roots hold a random heap, the same program for the same seed.

    generate.py --seed N [--keep r0.p1,r2.p0] [--tbb] [-o program.cc]

The program declares one to three roots. Each root's value is a struct of parts; each part is a
random type (nested standard containers, strings short and long, vectors full and shrunk,
optional, variant, any, std::function with captures, unique and shared pointers with cycles and
weak edges, a class hierarchy with multiple and virtual inheritance, padded structs and unions,
C allocations, tagged pointers, parts built on worker threads or sorted in parallel, function-
local statics) built by an initializer from a fixed random sequence. main prints one digest
line per part (digest.h): a walk of the values, never their addresses.

About one seed in six also plants one part that cannot be baked (a clock reading, a random
number, an address-derived hash, a table keyed by address, an open file). The program's header
names it and the error the bake must give:
    // planted: <kind>
    // expect: <regular expression>

--keep writes only the named parts (the minimizer drops parts while a failure stays); every
part is drawn from the seed either way, so a kept part is the same code it was in the whole
program.
"""

import argparse
import random
import sys

# What each planted part is, and the cause the bake must name for it.
PLANTS = {
    "clock": (
        "std::int64_t",
        "return std::int64_t(std::chrono::system_clock::now().time_since_epoch().count());",
        "it looks like a clock reading",
    ),
    "random": (
        "std::uint64_t",
        "std::uint64_t v = 0;\n"
        "  std::ifstream in(\"/dev/urandom\", std::ios::binary);\n"
        "  in.read(reinterpret_cast<char*>(&v), sizeof v);\n"
        "  return v;",
        "the initializers read /dev/urandom: most likely a random number",
    ),
    "address-hash": (
        "std::uint64_t",
        "static int anchor;\n"
        "  return std::uint64_t(reinterpret_cast<std::uintptr_t>(&anchor)) * 0x9E3779B97F4A7C15ull;",
        "is a value that differs between runs and is no address of the baking process",
    ),
    "address-keyed": (
        "std::unordered_map<const std::int64_t*, std::int64_t>",
        "std::unordered_map<const std::int64_t*, std::int64_t> m;\n"
        "  for (int i = 0; i < 64; ++i) m[new std::int64_t(i)] = std::int64_t(r.next());\n"
        "  return m;",
        "a table hashed or ordered by its objects' addresses",
    ),
    "open-file": (
        "fuzz::OpenFile",
        "return fuzz::OpenFile{std::fopen(\"/dev/null\", \"r\")};",
        "the initializer left file descriptor [0-9]+ open \\(/dev/null\\)",
    ),
}

LEAVES = [
    ("std::int64_t", "return std::int64_t(r.next());"),
    ("std::int32_t", "return std::int32_t(r.next());"),
    ("std::uint8_t", "return std::uint8_t(r.next());"),
    ("double", "return double(std::int64_t(r.below(2000001)) - 1000000) / 64.0;"),
    ("bool", "return r.below(2) == 1;"),
    ("char", "return char('a' + r.below(26));"),
    ("std::string", "return r.str(0, 15);"),   # inline in the string object
    ("std::string", "return r.str(16, 120);"),  # on the heap
    ("std::string", "return r.str(0, 40);"),
]
KEYS = [0, 6, 8]  # leaves that order and hash: int64, short strings, mixed strings


class Node:
    def __init__(self, cpp, fn, code, children=(), decl=None, decl_key=None):
        self.cpp, self.fn, self.code = cpp, fn, code
        self.children = list(children)
        self.decl, self.decl_key = decl, decl_key


class Generator:
    def __init__(self, seed, tbb):
        self.r = random.Random(seed)
        self.seed = seed
        self.tbb = tbb
        self.count = 0
        self.needs_tbb = False
        self.repeated = 0  # inside a builder called once per element of something

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def node(self, cpp, body, children=(), decl=None, decl_key=None):
        fn = self.fresh("build_")
        code = f"static {cpp} {fn}([[maybe_unused]] fuzz::Rng& r) {{\n  {body}\n}}\n"
        return Node(cpp, fn, code, children, decl, decl_key)

    def leaf(self, index=None):
        cpp, body = LEAVES[self.r.randrange(len(LEAVES)) if index is None else index]
        return self.node(cpp, body)

    def size(self, budget, most=400):
        return self.r.randint(0, max(0, min(budget, most)))

    def value(self, depth, budget):
        """A random type and its builder, making about `budget` values at most."""
        if depth >= 4 or budget < 2 or self.r.random() < 0.25:
            return self.leaf()
        kinds = ["vector"] * 4 + ["deque", "list", "forward_list", "map", "unordered_map", "set",
                 "unordered_set", "optional", "variant", "tuple", "unique", "shared", "shared_pair",
                 "any", "function", "struct", "union", "shapes", "cstring", "cbuffer", "tagged",
                 "graph", "thread", "workers", "static"]
        if self.tbb:
            kinds.append("parallel_sort")
        if self.repeated:  # a thread per element would start more than a bake captures (128)
            kinds = [k for k in kinds if k not in ("thread", "workers", "parallel_sort")]
        kind = self.r.choice(kinds)
        return getattr(self, "make_" + kind.replace("-", "_"))(depth, budget)

    def each(self, depth, budget):
        """The type of elements: built once per element, so never by a thread of its own."""
        self.repeated += 1
        try:
            return self.value(depth, budget)
        finally:
            self.repeated -= 1

    def sequence(self, container, depth, budget, add):
        n = self.size(budget)
        item = self.each(depth + 1, budget // max(n, 1))
        cpp = f"{container}<{item.cpp}>"
        return self.node(cpp, f"{cpp} c;\n  for (int i = 0; i < {n}; ++i) c.{add}({item.fn}(r));\n  return c;", [item])

    def make_vector(self, depth, budget):
        n = self.size(budget)
        item = self.each(depth + 1, budget // max(n, 1))
        cpp = f"std::vector<{item.cpp}>"
        how = self.r.choice(["grown", "full", "shrunk", "moved", "popped", "erased"])
        fill = f"for (int i = 0; i < {n}; ++i) v.push_back({item.fn}(r));"
        body = {
            "grown": f"{cpp} v;\n  {fill}\n  return v;",
            "full": f"{cpp} v;\n  v.reserve({n});\n  {fill}\n  return v;",
            "shrunk": f"{cpp} v;\n  {fill}\n  v.shrink_to_fit();\n  return v;",
            "moved": f"{cpp} v;\n  {fill}\n  {cpp} w = std::move(v);\n  w.shrink_to_fit();\n"
                     f"  v.push_back({item.fn}(r));\n  return w;",
            "popped": f"{cpp} v;\n  {fill}\n  for (int i = 0; i < {n // 2}; ++i) v.pop_back();\n  return v;",
            "erased": f"{cpp} v;\n  {fill}\n  if (v.size() > 2) v.erase(v.begin() + 1, v.begin() + v.size() / 2);\n"
                      f"  return v;",
        }[how]
        return self.node(cpp, body, [item])

    def make_deque(self, depth, budget):
        return self.sequence("std::deque", depth, budget, "push_back")

    def make_list(self, depth, budget):
        return self.sequence("std::list", depth, budget, "push_back")

    def make_forward_list(self, depth, budget):
        return self.sequence("std::forward_list", depth, budget, "push_front")

    def keyed(self, container, depth, budget, with_value):
        n = self.size(budget)
        key = self.leaf(self.r.choice(KEYS))
        children = [key]
        if with_value:
            item = self.each(depth + 1, budget // max(n, 1))
            children.append(item)
            cpp = f"{container}<{key.cpp}, {item.cpp}>"
            add = f"{{ auto k = {key.fn}(r); c.insert_or_assign(std::move(k), {item.fn}(r)); }}"
        else:
            cpp = f"{container}<{key.cpp}>"
            add = f"c.insert({key.fn}(r));"
        body = f"{cpp} c;\n  for (int i = 0; i < {n}; ++i) {add}\n"
        if self.r.random() < 0.3:  # erase some: their nodes are freed, the table keeps its size
            body += f"  for (int i = 0; i < {n // 3}; ++i) c.erase({key.fn}(r));\n"
        return self.node(cpp, body + "  return c;", children)

    def make_map(self, depth, budget):
        return self.keyed("std::map", depth, budget, True)

    def make_unordered_map(self, depth, budget):
        return self.keyed("std::unordered_map", depth, budget, True)

    def make_set(self, depth, budget):
        return self.keyed("std::set", depth, budget, False)

    def make_unordered_set(self, depth, budget):
        return self.keyed("std::unordered_set", depth, budget, False)

    def make_optional(self, depth, budget):
        item = self.value(depth + 1, budget)
        cpp = f"std::optional<{item.cpp}>"
        how = self.r.choice(["some", "none", "reset"])
        body = {
            "some": f"{cpp} o;\n  o.emplace({item.fn}(r));\n  return o;",
            "none": f"return {cpp}();",
            "reset": f"{cpp} o;\n  o.emplace({item.fn}(r));\n  o.reset();\n  return o;",
        }[how]
        return self.node(cpp, body, [item])

    def make_variant(self, depth, budget):
        alternatives, seen = [], set()
        for _ in range(self.r.randint(2, 4)):
            a = self.value(depth + 1, budget) if self.r.random() < 0.4 else self.leaf()
            if a.cpp not in seen:
                seen.add(a.cpp)
                alternatives.append(a)
        cpp = "std::variant<" + ", ".join(a.cpp for a in alternatives) + ">"
        chosen = self.r.randrange(len(alternatives))
        first = self.r.randrange(len(alternatives))  # what it held before: its bytes stay behind
        body = (f"{cpp} v;\n  v.emplace<{first}>({alternatives[first].fn}(r));\n"
                f"  v.emplace<{chosen}>({alternatives[chosen].fn}(r));\n  return v;")
        return self.node(cpp, body, alternatives)

    def make_tuple(self, depth, budget):
        items = [self.value(depth + 1, budget // 3) for _ in range(self.r.randint(2, 3))]
        cpp = "std::tuple<" + ", ".join(i.cpp for i in items) + ">"
        args = ", ".join(f"{i.fn}(r)" for i in items)
        return self.node(cpp, f"return {cpp}{{{args}}};", items)

    def make_unique(self, depth, budget):
        item = self.value(depth + 1, budget)
        cpp = f"std::unique_ptr<{item.cpp}>"
        if self.r.random() < 0.2:
            return self.node(cpp, f"return {cpp}();", [item])
        return self.node(cpp, f"return std::make_unique<{item.cpp}>({item.fn}(r));", [item])

    def make_shared(self, depth, budget):
        item = self.value(depth + 1, budget)
        cpp = f"std::shared_ptr<{item.cpp}>"
        if self.r.random() < 0.5:  # the object and its counts in one block, or in two
            return self.node(cpp, f"return std::make_shared<{item.cpp}>({item.fn}(r));", [item])
        return self.node(cpp, f"return {cpp}(new {item.cpp}({item.fn}(r)));", [item])

    def make_shared_pair(self, depth, budget):
        item = self.value(depth + 1, budget // 2)
        p = f"std::shared_ptr<{item.cpp}>"
        cpp = f"std::tuple<{p}, {p}, std::weak_ptr<{item.cpp}>>"
        how = self.r.choice(["same", "two", "expired"])
        body = {
            "same": f"auto a = std::make_shared<{item.cpp}>({item.fn}(r));\n  return {cpp}{{a, a, a}};",
            "two": f"auto a = std::make_shared<{item.cpp}>({item.fn}(r));\n"
                   f"  auto b = std::make_shared<{item.cpp}>({item.fn}(r));\n  return {cpp}{{a, b, b}};",
            "expired": f"auto a = std::make_shared<{item.cpp}>({item.fn}(r));\n"
                       f"  std::weak_ptr<{item.cpp}> w = std::make_shared<{item.cpp}>({item.fn}(r));\n"
                       f"  return {cpp}{{a, nullptr, w}};",
        }[how]
        return self.node(cpp, body, [item])

    def make_any(self, depth, budget):
        how = self.r.choice(["int", "string", "vector", "empty"])
        n = self.size(budget)
        body = {
            "int": "return std::any(std::int64_t(r.next()));",
            "string": "return std::any(r.str(0, 60));",
            "vector": f"std::vector<std::int64_t> v;\n  for (int i = 0; i < {n}; ++i) v.push_back(std::int64_t(r.next()));\n"
                      "  return std::any(std::move(v));",
            "empty": "return std::any();",
        }[how]
        return self.node("std::any", body)

    def make_function(self, depth, budget):
        how = self.r.choice(["small", "string", "vector", "shared", "pointer", "nested", "empty"])
        n = self.size(budget)
        body = {
            "small": "std::int64_t k = std::int64_t(r.next());\n"
                     "  return fuzz::Function([k](std::int64_t x) { return x * 3 + k; });",
            "string": "std::string s = r.str(0, 60);\n"
                      "  return fuzz::Function([s](std::int64_t x) -> std::int64_t {\n"
                      "    return x + std::int64_t(s.size()) * 7 + (s.empty() ? 0 : s[std::size_t(x) % s.size()]);\n"
                      "  });",
            "vector": f"std::vector<std::int64_t> v;\n  for (int i = 0; i < {n}; ++i) v.push_back(std::int64_t(r.next()));\n"
                      "  return fuzz::Function([v](std::int64_t x) -> std::int64_t {\n"
                      "    return v.empty() ? x : v[std::size_t(x) % v.size()] ^ x;\n  });",
            "shared": "auto s = std::make_shared<std::string>(r.str(0, 80));\n"
                      "  return fuzz::Function([s](std::int64_t x) { return x * std::int64_t(s->size() + 1); });",
            "pointer": "return r.below(2) ? fuzz::Function(&fuzz::twice) : fuzz::Function(&fuzz::square_plus_one);",
            "nested": "std::int64_t k = std::int64_t(r.next());\n"
                      "  fuzz::Function inner = [k](std::int64_t x) { return x ^ k; };\n"
                      "  std::string tag = r.str(10, 40);\n"
                      "  return fuzz::Function([inner, tag](std::int64_t x) { return inner(x) + std::int64_t(tag.size()); });",
            "empty": "return fuzz::Function();",
        }[how]
        return self.node("fuzz::Function", body)

    def make_struct(self, depth, budget):
        """Members of mixed sizes, so the struct has padding between them."""
        name = self.fresh("Padded")
        members, children, fills = [], [], []
        for i in range(self.r.randint(2, 5)):
            if self.r.random() < 0.5:
                cpp, body = self.r.choice([("char", "char('a' + r.below(26))"), ("std::uint16_t", "std::uint16_t(r.next())"),
                                           ("bool", "r.below(2) == 1"), ("std::int32_t", "std::int32_t(r.next())")])
                members.append((cpp, f"m{i}"))
                fills.append(f"s.m{i} = {body};")
            else:
                item = self.value(depth + 1, budget // 3)
                children.append(item)
                members.append((item.cpp, f"m{i}"))
                fills.append(f"s.m{i} = {item.fn}(r);")
        decl = f"struct {name} {{\n" + "".join(f"  {cpp} {m}{{}};\n" for cpp, m in members)
        decl += "  void dig(fuzz::Digest& d) const {\n" + "".join(f"    fuzz::dig(d, {m});\n" for _, m in members) + "  }\n};\n"
        return self.node(name, f"{name} s;\n  " + "\n  ".join(fills) + "\n  return s;", children, decl, name)

    def make_union(self, depth, budget):
        name = self.fresh("Tagged")
        decl = (f"struct {name} {{\n  std::uint8_t kind = 0;\n"
                "  union { std::int64_t i; double f; char text[24]; } u{};\n"
                "  void dig(fuzz::Digest& d) const {\n    d.num(\"kind\", kind);\n"
                "    if (kind == 0) fuzz::dig(d, u.i);\n    else if (kind == 1) fuzz::dig(d, u.f);\n"
                "    else d.put(\"text\", u.text);\n  }\n};\n")
        body = (f"{name} x;\n  x.kind = std::uint8_t(r.below(3));\n"
                "  if (x.kind == 0) x.u.i = std::int64_t(r.next());\n"
                "  else if (x.kind == 1) x.u.f = double(r.below(1000)) / 8;\n"
                "  else { std::string s = r.str(0, 23); std::memcpy(x.u.text, s.c_str(), s.size() + 1); }\n  return x;")
        return self.node(name, body, [], decl, name)

    def make_shapes(self, depth, budget):
        return self.node("fuzz::Shapes", f"return fuzz::Shapes(r, {self.size(budget, 300)});")

    def make_cstring(self, depth, budget):
        return self.node("fuzz::CString", f"return fuzz::CString(r.str(0, {self.r.choice([8, 40, 300])}));")

    def make_cbuffer(self, depth, budget):
        return self.node("fuzz::CBuffer", f"return fuzz::CBuffer(r, {self.r.randint(0, 12)});")

    def make_tagged(self, depth, budget):
        item = self.value(depth + 1, budget)
        high = self.r.random() < 0.5
        cpp = f"fuzz::Tagged<{item.cpp}, {'true' if high else 'false'}>"
        null = self.r.random() < 0.1
        target = "nullptr" if null else f"new {item.cpp}({item.fn}(r))"
        return self.node(cpp, f"return {cpp}({target}, r.next());", [item])

    def make_graph(self, depth, budget):
        n = self.size(budget, 200)
        return self.node("fuzz::Graph", f"return fuzz::Graph(r, {n}, {self.r.randint(0, 2 * n)});")

    def make_thread(self, depth, budget):
        """Built on a worker thread the initializer starts and joins."""
        item = self.value(depth + 1, budget)
        body = (f"fuzz::Rng worker{{r.next()}};\n  {item.cpp} v;\n"
                f"  std::thread t([&] {{ v = {item.fn}(worker); }});\n  t.join();\n  return v;")
        return self.node(item.cpp, body, [item])

    def make_workers(self, depth, budget):
        """Several threads each build an element at once: their allocations interleave by timing."""
        k = self.r.randint(2, 4)
        item = self.each(depth + 1, budget // k)
        cpp = f"std::vector<{item.cpp}>"
        body = (f"std::vector<fuzz::Rng> rngs;\n  for (int i = 0; i < {k}; ++i) rngs.push_back(fuzz::Rng{{r.next()}});\n"
                f"  {cpp} out({k});\n  std::vector<std::thread> threads;\n"
                f"  for (int i = 0; i < {k}; ++i) threads.emplace_back([&, i] {{ out[i] = {item.fn}(rngs[i]); }});\n"
                "  for (auto& t : threads) t.join();\n  return out;")
        return self.node(cpp, body, [item])

    def make_static(self, depth, budget):
        """A function-local static the initializer constructs, and a pointer to it."""
        n = self.size(budget, 50)
        item = self.each(depth + 1, budget // max(n, 1))
        owner = self.fresh("table_")
        seed = self.r.getrandbits(63)
        decl = (f"static const std::vector<{item.cpp}>& {owner}() {{\n"
                f"  static const std::vector<{item.cpp}> t = [] {{\n    fuzz::Rng r{{{seed}ull}};\n"
                f"    std::vector<{item.cpp}> v;\n    for (int i = 0; i < {n}; ++i) v.push_back({item.fn}(r));\n"
                f"    return v;\n  }}();\n  return t;\n}}\n")
        cpp = f"fuzz::StaticRef<std::vector<{item.cpp}>>"
        node = self.node(cpp, f"return {cpp}{{&{owner}(), &{owner}}};", [item], decl, owner)
        return node

    def make_parallel_sort(self, depth, budget):
        self.needs_tbb = True
        n = self.r.randint(1000, 20000)
        if self.r.random() < 0.5:
            body = (f"std::vector<std::string> v;\n  for (int i = 0; i < {n}; ++i) v.push_back(r.str(0, 20));\n"
                    "  std::sort(std::execution::par, v.begin(), v.end());\n  return v;")
            return self.node("std::vector<std::string>", body)
        body = (f"std::vector<std::int64_t> v;\n  for (int i = 0; i < {n}; ++i) v.push_back(std::int64_t(r.below(1000)));\n"
                "  std::stable_sort(std::execution::par, v.begin(), v.end());\n  return v;")
        return self.node("std::vector<std::int64_t>", body)


def emit(nodes, out, done):
    for n in nodes:
        if id(n) in done:
            continue
        done.add(id(n))
        emit(n.children, out, done)
        if n.decl and n.decl_key not in done:
            done.add(n.decl_key)
            out.append(n.decl)
        out.append(n.code)


def generate(seed, keep=None, tbb=False):
    g = Generator(seed, tbb)
    roots = []
    for ri in range(g.r.randint(1, 3)):
        parts = [g.value(0, g.r.randint(20, 3000)) for _ in range(g.r.randint(1, 5))]
        roots.append(parts)
    planted = None
    if g.r.random() < 1 / 6:
        kind = g.r.choice(sorted(PLANTS))
        cpp, body, expect = PLANTS[kind]
        where = g.r.randrange(len(roots))
        at = g.r.randint(0, len(roots[where]))
        roots[where].insert(at, g.node(cpp, body))
        planted = (kind, expect, f"r{where}.p{at}")
    seeds = [[g.r.getrandbits(63) for _ in parts] for parts in roots]
    names = [[f"r{ri}.p{pi}" for pi in range(len(parts))] for ri, parts in enumerate(roots)]
    if keep is not None:
        missing = set(keep) - {n for ns in names for n in ns}
        if missing:
            sys.exit(f"generate.py: seed {seed} has no part {', '.join(sorted(missing))}")
        if planted and planted[2] not in keep:
            planted = None

    head = [f"// Written by tests/differential/generate.py --seed {seed}"
            + (f" --keep {','.join(sorted(keep))}" if keep is not None else "") + (" --tbb" if tbb else "") + ".",
            "// Every root's parts, digested unbaked and baked, must print the same lines."]
    if planted:
        head += [f"// planted: {planted[0]} ({planted[2]})", f"// expect: {planted[1]}"]
    out = head + ["#include \"digest.h\"", ""]
    if planted:
        out += ["#include <chrono>", "#include <fstream>", ""]
    if g.needs_tbb:
        out += ["#include <algorithm>", "#include <execution>", ""]
    body, done, mains = [], set(), []
    for ri, parts in enumerate(roots):
        kept = [(pi, p) for pi, p in enumerate(parts) if keep is None or names[ri][pi] in keep]
        if not kept:
            continue
        emit([p for _, p in kept], body, done)
        struct = f"Root{ri}"
        body.append(f"struct {struct} {{\n" + "".join(f"  {p.cpp} p{pi};\n" for pi, p in kept) + "};\n")
        # Each part draws from a sequence of its own: kept alone, it builds what it built beside the others.
        rngs = "".join(f"  fuzz::Rng r{pi}{{{seeds[ri][pi]}ull}};\n" for pi, _ in kept)
        inits = ", ".join(f"{p.fn}(r{pi})" for pi, p in kept)
        body.append(f"static fuzz::Root<{struct}> root{ri}{{\"root-{ri}\", [] {{\n  ++fuzz::initializer_runs;\n"
                    f"{rngs}  return {struct}{{{inits}}};\n}}}};\n")
        for pi, _ in kept:
            mains.append(f"  d.begin(\"r{ri}.p{pi}\");\n  fuzz::dig(d, root{ri}->p{pi});\n  d.end();")
    out += body
    out += ["int main() {", "  fuzz::Digest d(fuzz::full_digest());"] + mains + ["  fuzz::print_status();", "}", ""]
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--keep", help="comma-separated parts to write (r<root>.p<part>); all when absent")
    p.add_argument("--tbb", action="store_true", help="may sort in parallel (std::execution::par, TBB)")
    p.add_argument("-o", "--output", help="file to write (standard output when absent)")
    a = p.parse_args()
    text = generate(a.seed, a.keep.split(",") if a.keep else None, a.tbb)
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
