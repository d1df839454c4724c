// What a user bakes: compiled regexes (several patterns, icase, captures), classes with vtables
// (multiple and virtual inheritance), standard containers and strings, and std::function; and
// bytes past the ends of strings, vectors and an optional that hold the process id, which the
// root's type says no code reads (with libstdc++ and libc++ alike).
#include <fastboot/fastboot.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

static std::atomic<int> initializer_runs{0};

struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
  virtual std::string name() const = 0;
};
struct Named {
  virtual ~Named() = default;
  std::string label;
};
// final: clang 17 and later compile dynamic_cast<const Square*> as a comparison with Square's
// vtable address, which the baker must keep true (see baker/vtables.h).
struct Square final : Shape, Named {
  double side = 0;
  double area() const override { return side * side; }
  std::string name() const override { return "square " + label; }
};
struct Base {
  virtual ~Base() = default;
  virtual int id() const { return 1; }
};
struct Left : virtual Base {};
struct Right : virtual Base {};
struct Diamond : Left, Right {
  int id() const override { return 4; }
};

struct World {
  std::vector<std::pair<std::string, std::regex>> rules;
  std::vector<std::unique_ptr<Shape>> shapes;
  std::unique_ptr<Base> diamond;
  std::map<std::string, std::vector<int>> index;
  std::unordered_map<std::string, std::string> config;
  std::vector<std::function<int(int)>> steps;
};

static fastboot::root<World> world{"world", [] {
  ++initializer_runs;
  World w;
  const std::pair<const char*, std::regex::flag_type> patterns[] = {
      {"^[a-z]+$", std::regex::ECMAScript},
      {"([0-9]+)-([0-9]+)", std::regex::ECMAScript},
      {"hello|world", std::regex::ECMAScript | std::regex::icase},
      {"(\\w+)@(\\w+)\\.com", std::regex::ECMAScript | std::regex::optimize},
      {"c{2,4}[[:digit:]]?", std::regex::extended},
  };
  for (const auto& [p, f] : patterns) w.rules.emplace_back(p, std::regex(p, f));
  for (int i = 1; i <= 20; ++i) {
    auto s = std::make_unique<Square>();
    s->side = i * 0.5;
    s->label = "#" + std::to_string(i);
    w.shapes.push_back(std::move(s));
  }
  w.diamond = std::make_unique<Diamond>();
  const char* words[] = {"apple", "banana", "cherry", "apricot", "blueberry", "cranberry", "avocado"};
  for (int i = 0; i < 7; ++i) w.index[std::string(1, words[i][0])].push_back(i);
  for (int i = 0; i < 100; ++i) w.config["key" + std::to_string(i)] = "value number " + std::to_string(i * i);
  int offset = 7;
  w.steps.push_back([offset](int x) { return x + offset; });
  w.steps.push_back([](int x) { return x * 3; });
  w.steps.push_back(std::negate<int>());
  return w;
}};

using Leftovers = std::tuple<std::vector<std::string>, std::vector<long>, std::optional<long>>;
static fastboot::root<Leftovers> leftovers{"leftovers", [] {
  ++initializer_runs;
  Leftovers l;
  for (int i = 0; i < 20; ++i) {
    std::string w = std::to_string(getpid() * 7919L);
    w = std::to_string(i);  // a short string: what is left of the digits lies past its end
    std::get<0>(l).push_back(w);
  }
  std::get<1>(l) = {4, 5, 6, long(getpid())};
  std::get<1>(l).pop_back();
  std::get<2>(l) = getpid();
  std::get<2>(l).reset();
  return l;
}};

int main() {
  const World& w = *world;
  for (const char* in : {"hello", "12-34", "WORLD", "mail me@example.com", "cccc7", "Nope!"}) {
    std::printf("%-20s", in);
    for (const auto& [p, re] : w.rules) {
      std::cmatch m;
      if (!std::regex_search(in, m, re)) {
        std::printf(" -");
        continue;
      }
      std::printf(" ");
      for (std::size_t g = 0; g < m.size(); ++g) std::printf("%s%s", g ? "," : "", m[g].str().c_str());
    }
    std::printf("\n");
  }
  double total = 0;
  for (const auto& s : w.shapes) total += s->area();
  const auto* sq = dynamic_cast<const Square*>(w.shapes[3].get());
  std::printf("shapes: %zu, area %.2f, %s, named %s\n", w.shapes.size(), total, w.shapes[3]->name().c_str(),
              sq && dynamic_cast<const Named*>(sq) ? "yes" : "no");
  std::printf("diamond: %d\n", w.diamond->id());
  for (const auto& [letter, ids] : w.index) std::printf("%s:%zu ", letter.c_str(), ids.size());
  std::printf("\nconfig: %zu, key42 = %s\n", w.config.size(), w.config.at("key42").c_str());
  int x = 5;
  for (const auto& f : w.steps) x = f(x);
  std::printf("steps: %d\n", x);
  const auto& [words, numbers, nothing] = *leftovers;
  std::printf("leftovers: %zu words, last %s; %zu numbers; %s\n", words.size(), words.back().c_str(), numbers.size(),
              nothing ? "engaged" : "empty");
  std::printf("status: baked=%d inits=%d\n", fastboot::baked() ? 1 : 0, initializer_runs.load());
}
