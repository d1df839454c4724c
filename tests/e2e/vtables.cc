// Objects with vtables, many of them, of every shape of class: single, multiple and virtual
// inheritance, a final class, an abstract base (a pure-virtual slot), a class whose vtable
// holds a function of libstdc++ (std::runtime_error::what). Baked into a PIE, they point at
// copies of their vtables in the image, so startup relocates the copies' entries, not the
// objects (the test's BAKED_LOG pins a number of module relocations that does not grow with
// them). Everything observable must be as in the unbaked program, also between baked objects
// and objects made at run time: virtual calls, typeid, dynamic_cast, delete.
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "e2e.h"

struct Base {
  virtual ~Base() = default;
  virtual int id() const = 0;
};
struct Plain : Base {
  int id() const override { return 1; }
};
struct Left : Base {
  int id() const override { return 2; }
  virtual int left() const { return 20; }
};
struct Right {
  virtual ~Right() = default;
  virtual int right() const { return 30; }
  int r = 3;
};
struct Both : Left, Right {
  int id() const override { return 4; }
  int right() const override { return 40; }
};
struct VBase {
  virtual ~VBase() = default;
  virtual int vid() const { return 5; }
  int v = 5;
};
struct VLeft : virtual VBase {
  int l = 6;
};
struct VRight : virtual VBase {
  int vid() const override { return 7; }
  int r = 7;
};
struct Diamond : Base, VLeft, VRight {
  int id() const override { return 8; }
  int vid() const override { return 80; }
};
struct Leaf final : Base {
  int id() const override { return 9; }
};
struct Problem : Base, std::runtime_error {
  Problem() : std::runtime_error("a problem baked into the image") {}
  int id() const override { return 10; }
};

static std::unique_ptr<Base> make(int i) {
  switch (i % 6) {
    case 0: return std::make_unique<Plain>();
    case 1: return std::make_unique<Both>();
    case 2: return std::make_unique<Diamond>();
    case 3: return std::make_unique<Leaf>();
    case 4: return std::make_unique<Problem>();
    default: return std::make_unique<Left>();
  }
}

static fastboot::root<std::vector<std::unique_ptr<Base>>> objects{"objects", [] {
  ++initializer_runs;
  std::vector<std::unique_ptr<Base>> v;
  for (int i = 0; i < 60000; ++i) v.push_back(make(i));
  return v;
}};

int main() {
  auto& all = const_cast<std::vector<std::unique_ptr<Base>>&>(*objects);
  long sum = 0;
  int same_type = 0, rights = 0, vbases = 0, leaves = 0, problems = 0, vsum = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Base* b = all[i].get();
    sum += b->id();
    std::unique_ptr<Base> fresh = make(int(i));
    const Base& made_now = *fresh;
    same_type += typeid(*b) == typeid(made_now) && typeid(*b).name() == typeid(made_now).name();
    if (auto* r = dynamic_cast<const Right*>(b)) rights += r->right() == 40 && dynamic_cast<const Both*>(r) != nullptr;
    if (auto* v = dynamic_cast<const VBase*>(b)) {
      vsum += v->vid() + dynamic_cast<const VLeft*>(v)->l + v->v;
      vbases += dynamic_cast<const Diamond*>(v) == b;
    }
    leaves += dynamic_cast<const Leaf*>(b) != nullptr;
    if (auto* e = dynamic_cast<const std::exception*>(b)) problems += std::string(e->what()).find("baked") != std::string::npos;
  }
  std::printf("%zu objects, ids %ld, same type as new %d\n", all.size(), sum, same_type);
  std::printf("cross casts %d, virtual bases %d (vid sum %d), final %d, exceptions %d\n", rights, vbases, vsum, leaves,
              problems);
  // A baked object deleted, and one of its class made now. (The new one is not stored in the
  // baked vector: LeakSanitizer does not look for pointers in the image.)
  all[1].reset();
  std::unique_ptr<Base> made = make(1);
  const Base& replaced = *made;
  std::printf("after delete: %d, %s\n", replaced.id(), typeid(replaced) == typeid(Both) ? "Both" : "?");
  print_status();
}
