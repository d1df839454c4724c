#include "shapes.h"

Shape::~Shape() = default;
double Circle::area() const { return 3.0 * r * r; }
std::string Circle::name() const { return "circle"; }
double Square::area() const { return s * s; }
std::string Square::name() const { return "square"; }

Shape* make_shape(int kind, double size) {
  if (kind == 0) return new Circle(size);
  return new Square(size);
}

#if defined(SHAPES_V2)
const char* shapes_version() { return "2"; }  // another build: a different build-id
int shapes_extra(int x) { return x * 3; }
#else
const char* shapes_version() { return "1"; }
#endif
