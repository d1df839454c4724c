// A root that points at a function-local static which the bake itself constructed: in the
// baked program that static is not constructed yet.
#include <fastboot/fastboot.hpp>

#include <string>

static const std::string& table_name() {
  static std::string name = "a table name long enough to live on the heap";
  return name;
}

static fastboot::root<const std::string*> lazy{"lazy-static", [] { return &table_name(); }};

int main() { return int((*lazy)->size() & 1); }
