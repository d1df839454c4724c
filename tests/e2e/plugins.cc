// Objects of classes whose vtables are in a shared library, and data a C library allocated.
#include <memory>
#include <vector>

#include "e2e.h"
#include "libs/cstrings.h"
#include "libs/shapes.h"

struct Plugins {
  std::vector<std::unique_ptr<Shape>> shapes;
  word_list* words;
  char* joined;
};

static fastboot::root<Plugins> plugins{"plugins", [] {
  ++initializer_runs;
  Plugins p;
  for (int i = 0; i < 10; ++i) p.shapes.emplace_back(make_shape(i % 2, i + 1));
  p.words = word_list_new();
  for (const char* w : {"alpha", "beta", "gamma", "delta", "epsilon"}) word_list_add(p.words, w);
  p.joined = word_list_join(p.words, ", ");
  return p;
}};

int main() {
  double total = 0;
  for (const auto& s : plugins->shapes) total += s->area();
  std::printf("%zu shapes, first %s, second %s, total area %.1f\n", plugins->shapes.size(),
              plugins->shapes[0]->name().c_str(), plugins->shapes[1]->name().c_str(), total);
  std::printf("%d words (capacity %d): %s\n", plugins->words->count, plugins->words->capacity, plugins->joined);
  print_status();
}
