// A frozen root built from a file named by the environment (FROZEN_INPUT), beside a root baked
// at build time. Prints what both hold and how many times each initializer ran in this process.
// With FROZEN_TOUCH_INPUT set, the initializer touches its input after reading it: an input that
// changes while it is read.
#include <fastboot/fastboot.hpp>
#include <utime.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

int frozen_runs = 0, baked_runs = 0;

struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
};
struct Square : Shape {
  double side;
  explicit Square(double s) : side(s) {}
  double area() const override { return side * side; }
};

struct Index {
  std::unordered_map<std::string, std::vector<int>> lines_of;  // word -> line numbers
  std::map<int, std::string> longest;                          // length -> first word that long
  std::vector<std::unique_ptr<Shape>> shapes;
  std::function<std::size_t(const std::string&)> weigh;
  std::string source;
};

Index build_index() {
  ++frozen_runs;
  Index index;
  const char* path = std::getenv("FROZEN_INPUT");
  index.source = path ? path : "(none)";
  std::ifstream in(path ? path : "/nonexistent");
  std::string word;
  int line = 0;
  while (in >> word) {
    index.lines_of[word].push_back(++line);
    index.longest.emplace(int(word.size()), word);
    index.shapes.push_back(std::make_unique<Square>(double(word.size())));
  }
  index.weigh = [](const std::string& w) { return w.size() * 3; };
  if (path && std::getenv("FROZEN_TOUCH_INPUT")) utime(path, nullptr);
  return index;
}

fastboot::frozen<Index> index{"index", build_index};
fastboot::root<std::vector<std::string>> greetings{"greetings", [] {
  ++baked_runs;
  return std::vector<std::string>{"hello", "bonjour", "hallo"};
}};

}  // namespace

int main() {
#ifdef FROZEN_OTHER_BUILD
  std::printf("another build\n");
#endif
  const Index& ix = *index;
  double area = 0;
  for (const auto& s : ix.shapes) area += s->area();
  std::size_t occurrences = 0;
  for (const auto& [w, lines] : ix.lines_of) occurrences += lines.size();
  std::printf("source %s\n", ix.source.c_str());
  std::printf("words %zu occurrences %zu shapes %zu area %.0f\n", ix.lines_of.size(), occurrences, ix.shapes.size(), area);
  if (!ix.longest.empty())
    std::printf("longest %s weighs %zu\n", ix.longest.rbegin()->second.c_str(), ix.weigh(ix.longest.rbegin()->second));
  std::printf("greetings %zu %s\n", greetings->size(), greetings->back().c_str());
  std::printf("initializer runs: frozen %d baked %d\n", frozen_runs, baked_runs);
  std::printf("build-time image: %s\n", fastboot::baked() ? "used" : "none");
  return 0;
}
