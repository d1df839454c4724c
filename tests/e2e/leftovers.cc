// Objects whose padding and unused union bytes hold leftovers of registers and stack: compiled
// regexes (states with a union and padding), plain `new T` of structs with holes, and structs
// built in stack temporaries and copied whole. Built with and without debug information, they
// must bake, answer as unbaked, and rebake to the same bytes.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "e2e.h"

// Holes after `tag` and after `flag`; whatever the stack held there is copied along.
struct Holey {
  char tag;
  std::uint64_t value;
  bool flag;
  double weight;
  const char* name;
};

// A tagged union whose inactive bytes are never read.
struct Cell {
  int kind;
  union {
    std::uint64_t number;
    struct {
      std::uint32_t lo;
      std::uint16_t hi;
    } pair;
    const Cell* next;
  };
};

__attribute__((noinline)) Holey make_holey(int i, const char* name) {
  Holey h;  // not value-initialized: its holes keep whatever the stack had
  h.tag = static_cast<char>('a' + i % 26);
  h.value = std::uint64_t(i) * 2654435761u;
  h.flag = i % 3 == 0;
  h.weight = i * 0.25;
  h.name = name;
  return h;
}

struct Data {
  std::vector<std::pair<std::string, std::regex>> rules;
  std::vector<Holey*> plain;           // plain new T
  std::vector<Holey> copied;           // built on the stack, copied in
  std::vector<std::unique_ptr<Cell>> cells;
};

static const char* const kNames[] = {"alpha", "beta", "gamma", "delta"};

static fastboot::root<Data> data{"data", [] {
  ++initializer_runs;
  Data d;
  const std::pair<const char*, std::regex::flag_type> patterns[] = {
      {"^[a-z]+$", std::regex::ECMAScript},
      {"([0-9]+)-([0-9]+)", std::regex::ECMAScript},
      {"(foo|bar)+baz", std::regex::ECMAScript | std::regex::optimize},
      {"hello|world", std::regex::ECMAScript | std::regex::icase},
      {"\\s*(\\w+)\\s*=\\s*\"([^\"]*)\"", std::regex::ECMAScript},
      {"(a|b)*c{2,4}[[:digit:]]?", std::regex::extended},
      {"^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2})$", std::regex::ECMAScript},
      {"[[:alpha:]][[:alnum:]_]*", std::regex::ECMAScript | std::regex::icase | std::regex::nosubs},
  };
  for (const auto& [pattern, flags] : patterns) d.rules.emplace_back(pattern, std::regex(pattern, flags));
  for (int i = 0; i < 200; ++i) {
    Holey* h = new Holey;
    *h = make_holey(i, kNames[i % 4]);
    d.plain.push_back(h);
    d.copied.push_back(make_holey(i * 7, kNames[(i + 1) % 4]));
  }
  for (int i = 0; i < 100; ++i) {
    auto c = std::make_unique<Cell>();
    c->kind = i % 3;
    if (c->kind == 0) c->number = std::uint64_t(i) << 40;
    else if (c->kind == 1) c->pair = {std::uint32_t(i * 3), std::uint16_t(i)};
    else c->next = d.cells.empty() ? nullptr : d.cells.back().get();
    d.cells.push_back(std::move(c));
  }
  return d;
}};

int main() {
  const Data& d = *data;
  const char* inputs[] = {"hello", "12-34", "foobarbaz", "WORLD", "  key = \"value\"", "abacccc7",
                          "2026-11-22T23:09", "Ident_9", "NOPE!"};
  for (const char* in : inputs) {
    std::printf("%-18s", in);
    for (const auto& [pattern, re] : d.rules) {
      std::cmatch m;
      if (!std::regex_search(in, m, re)) {
        std::printf(" -");
        continue;
      }
      std::printf(" %zu:", m.size());
      for (std::size_t g = 0; g < m.size(); ++g) std::printf("%s%s", g ? "," : "", m[g].str().c_str());
    }
    std::printf("\n");
  }
  std::uint64_t sum = 0;
  for (const Holey* h : d.plain) sum = sum * 31 + h->tag + h->value + h->flag + std::uint64_t(h->weight * 4) + std::strlen(h->name);
  for (const Holey& h : d.copied) sum = sum * 31 + h.tag + h.value + h.flag + std::uint64_t(h.weight * 4) + h.name[0];
  std::printf("structs: %zu plain, %zu copied, checksum %llu\n", d.plain.size(), d.copied.size(),
              static_cast<unsigned long long>(sum));
  std::uint64_t cells = 0;
  for (const auto& c : d.cells) {
    if (c->kind == 0) cells += c->number >> 40;
    else if (c->kind == 1) cells += c->pair.lo + c->pair.hi;
    else cells += c->next ? std::uint64_t(c->next->kind) + 1 : 0;
  }
  std::printf("cells: %zu, checksum %llu\n", d.cells.size(), static_cast<unsigned long long>(cells));
  print_status();
}
