// A shared library with virtual classes whose vtables live in the library.
#pragma once

#include <string>

#if defined(SHAPES_HIDE_SQUARE)
#define SQUARE_VISIBILITY __attribute__((visibility("hidden")))
#else
#define SQUARE_VISIBILITY
#endif

struct Shape {
  virtual ~Shape();
  virtual double area() const = 0;
  virtual std::string name() const = 0;
};

struct Circle : Shape {
  explicit Circle(double r) : r(r) {}
  double area() const override;
  std::string name() const override;
  double r;
};

struct SQUARE_VISIBILITY Square : Shape {
  explicit Square(double s) : s(s) {}
  double area() const override;
  std::string name() const override;
  double s;
};

Shape* make_shape(int kind, double size);
const char* shapes_version();
