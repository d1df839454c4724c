// A program whose bake report is checked: a root of strings whose size SCALE multiplies (the
// diff test compares SCALE=1 with SCALE=2), and a root of 1,000,000 objects with vtables, with
// multiple and virtual inheritance.
#include <fastboot/fastboot.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#ifndef SCALE
#define SCALE 1
#endif

struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
};
struct Named {
  virtual ~Named() = default;
  virtual char initial() const { return 'n'; }
};
struct Circle : Shape {
  double r;
  explicit Circle(double r) : r(r) {}
  double area() const override { return 3 * r * r; }
};
struct Square : virtual Shape, Named {
  double s;
  explicit Square(double s) : s(s) {}
  double area() const override { return s * s; }
  char initial() const override { return 's'; }
};

__attribute__((noinline)) std::vector<std::string> make_words() {
  std::vector<std::string> words;
  for (int i = 0; i < 20000 * SCALE; ++i) words.push_back("a word long enough for the heap, number " + std::to_string(i));
  return words;
}

__attribute__((noinline)) std::vector<std::unique_ptr<Shape>> make_shapes() {
  std::vector<std::unique_ptr<Shape>> shapes;
  shapes.reserve(1000000);
  for (int i = 0; i < 1000000; ++i) {
    if (i % 2) shapes.push_back(std::make_unique<Circle>(i % 10));
    else shapes.push_back(std::make_unique<Square>(i % 10));
  }
  return shapes;
}

static fastboot::root<std::vector<std::string>> words{"words", make_words};
static fastboot::root<std::vector<std::unique_ptr<Shape>>> shapes{"shapes", make_shapes};

int main() {
  double area = 0;
  for (const auto& s : *shapes) area += s->area();
  std::printf("%zu words, %zu shapes, area %.0f\n", words->size(), shapes->size(), area);
}
