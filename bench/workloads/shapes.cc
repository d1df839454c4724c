// A million polymorphic objects with vtables, behind unique_ptr.
#include <cereal/archives/binary.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/polymorphic.hpp>
#include <cereal/types/vector.hpp>

#include <memory>
#include <vector>

#include "harness.h"

struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
  template <class A>
  void serialize(A&) {}
};
struct Circle : Shape {
  double r = 0;
  double area() const override { return 3.14159265 * r * r; }
  template <class A>
  void serialize(A& ar) { ar(r); }
};
struct Rect : Shape {
  double w = 0, h = 0;
  double area() const override { return w * h; }
  template <class A>
  void serialize(A& ar) { ar(w, h); }
};
struct Triangle : Shape {
  double b = 0, h = 0;
  double area() const override { return b * h / 2; }
  template <class A>
  void serialize(A& ar) { ar(b, h); }
};
CEREAL_REGISTER_TYPE(Circle)
CEREAL_REGISTER_TYPE(Rect)
CEREAL_REGISTER_TYPE(Triangle)
CEREAL_REGISTER_POLYMORPHIC_RELATION(Shape, Circle)
CEREAL_REGISTER_POLYMORPHIC_RELATION(Shape, Rect)
CEREAL_REGISTER_POLYMORPHIC_RELATION(Shape, Triangle)

struct Shapes {
  using Data = std::vector<std::unique_ptr<Shape>>;
  static Data build() {
    Data d;
    d.reserve(1000000);
    for (int i = 0; i < 1000000; ++i) {
      switch (i % 3) {
        case 0: { auto c = std::make_unique<Circle>(); c->r = i % 100; d.push_back(std::move(c)); break; }
        case 1: { auto r = std::make_unique<Rect>(); r->w = i % 7; r->h = i % 11; d.push_back(std::move(r)); break; }
        default: { auto t = std::make_unique<Triangle>(); t->b = i % 13; t->h = i % 17; d.push_back(std::move(t)); }
      }
    }
    return d;
  }
  static void save(const Data& d, std::ostream& out) { workload::cereal_write<cereal::BinaryOutputArchive>(out, d); }
  static Data load(std::istream& in) { return workload::cereal_read<cereal::BinaryInputArchive, Data>(in); }
  static std::uint64_t first(const Data& d) { return std::uint64_t(d[123456]->area()); }
  static std::uint64_t query(const Data& d, std::uint64_t i) { return std::uint64_t(d[i % d.size()]->area()); }
  static std::uint64_t touch_all(const Data& d) {
    double sum = 0;
    for (const auto& s : d) sum += s->area();
    return std::uint64_t(sum);
  }
};

static FASTBOOT_BENCH_ROOT<Shapes::Data> shapes{"shapes", [] { return Shapes::build(); }};

int main(int argc, char** argv) { return workload::run<Shapes>(argc, argv, shapes); }
