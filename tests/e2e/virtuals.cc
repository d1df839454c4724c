// Classes with vtables, multiple inheritance and typeid, behind unique_ptr.
#include <cmath>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "e2e.h"

struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
  virtual std::string name() const = 0;
};
struct Named {
  virtual ~Named() = default;
  virtual std::string label() const { return "named"; }
  std::string tag = "a tag long enough to live on the heap";
};
struct Circle : Shape {
  double r;
  explicit Circle(double r) : r(r) {}
  double area() const override { return 3.14159 * r * r; }
  std::string name() const override { return "circle"; }
};
struct Square : Shape, Named {
  double s;
  explicit Square(double s) : s(s) {}
  double area() const override { return s * s; }
  std::string name() const override { return "square"; }
  std::string label() const override { return "square " + tag; }
};

struct Scene {
  std::vector<std::unique_ptr<Shape>> shapes;
  std::vector<const Named*> labels;
};

static fastboot::root<Scene> scene{"scene", [] {
  ++initializer_runs;
  Scene s;
  for (int i = 0; i < 100; ++i) {
    if (i % 3) {
      s.shapes.push_back(std::make_unique<Circle>(i));
    } else {
      auto sq = std::make_unique<Square>(i);
      s.labels.push_back(sq.get());
      s.shapes.push_back(std::move(sq));
    }
  }
  return s;
}};

int main() {
  double total = 0;
  int circles = 0;
  for (const auto& sh : scene->shapes) {
    total += sh->area();
    if (typeid(*sh) == typeid(Circle)) ++circles;
  }
  std::printf("%zu shapes, %d circles, total area %.1f\n", scene->shapes.size(), circles, total);
  std::printf("first %s, second %s, label %s\n", scene->shapes[0]->name().c_str(), scene->shapes[1]->name().c_str(),
              scene->labels[5]->label().c_str());
  std::printf("dynamic_cast to Named: %s\n", dynamic_cast<const Named*>(scene->shapes[3].get()) ? "yes" : "no");
  print_status();
}
