// A root that points at a function-local static which the bake itself constructed and cannot
// restore: the static holds the process id, which differs between the bake runs. In the baked
// program that static is not constructed yet.
#include <fastboot/fastboot.hpp>

#include <unistd.h>

#include <string>

struct Table {
  std::string name;
  long owner;
};

static const Table& table() {
  static Table t{"a table name long enough to live on the heap", long(getpid())};
  return t;
}

static fastboot::root<const std::string*> lazy{"lazy-static", [] { return &table().name; }};

int main() { return int((*lazy)->size() & 1); }
