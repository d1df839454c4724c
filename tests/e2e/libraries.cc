// Values that point into libstdc++ and libc: compiled regexes, locales, std::any, type_info of
// library types, virtual inheritance, a string stream, a libc FILE*.
#include <any>
#include <cstdio>
#include <locale>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "e2e.h"

struct Base {
  virtual ~Base() = default;
  virtual std::string who() const { return "base"; }
  int base_value = 1;
};
struct Left : virtual Base {
  std::string who() const override { return "left"; }
};
struct Right : virtual Base {};
struct Diamond : Left, Right {
  std::string who() const override { return "diamond " + std::to_string(base_value); }
};

struct Library {
  std::vector<std::regex> rules;
  std::locale classic = std::locale::classic();
  std::vector<std::any> anys;
  const std::type_info* string_type = &typeid(std::string);
  const std::type_info* vector_type = &typeid(std::vector<int>);
  std::vector<std::unique_ptr<Base>> diamonds;
  FILE* out = stdout;
  std::ostringstream text;
};

static fastboot::root<Library> library{"library", [] {
  ++initializer_runs;
  Library l;
  for (const char* pattern : {"^[a-z]+$", "([0-9]+)-([0-9]+)", "(foo|bar)+baz", "\\s*key\\s*=\\s*(\\w+)"})
    l.rules.emplace_back(pattern, std::regex::ECMAScript | std::regex::optimize);
  l.anys = {std::any(42), std::any(std::string("any holding a long string, on the heap")), std::any(3.5)};
  for (int i = 0; i < 3; ++i) {
    auto d = std::make_unique<Diamond>();
    d->base_value = i * 10;
    l.diamonds.push_back(std::move(d));
  }
  l.text.imbue(l.classic);
  l.text << "formatted " << 12345 << ' ' << 2.5;
  return l;
}};

int main() {
  const Library& l = *library;
  const char* inputs[] = {"hello", "12-34", "foobarbaz", "  key = value", "NOPE"};
  for (const char* in : inputs) {
    std::printf("%-14s", in);
    for (const auto& re : l.rules) {
      std::cmatch m;
      bool hit = std::regex_search(in, m, re);
      std::printf(" %s", hit ? (m.size() > 1 ? m[1].str().c_str() : "yes") : "-");
    }
    std::printf("\n");
  }
  std::printf("classic locale: %s, isdigit('7') %d\n", l.classic.name().c_str(), std::isdigit('7', l.classic));
  std::printf("any: %d, %s, %.1f\n", std::any_cast<int>(l.anys[0]), std::any_cast<const std::string&>(l.anys[1]).c_str(),
              std::any_cast<double>(l.anys[2]));
  std::printf("type_info: %s, %s\n", *l.string_type == typeid(std::string) ? "std::string" : "?",
              *l.vector_type == typeid(std::vector<int>) ? "std::vector<int>" : "?");
  for (const auto& d : l.diamonds) std::printf("%s; ", d->who().c_str());
  std::printf("\n");
  std::fprintf(l.out, "written through a baked FILE*\n");
  std::printf("stream: %s\n", l.text.str().c_str());
  print_status();
}
