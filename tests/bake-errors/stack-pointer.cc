// A pointer to the initializer's stack, stored in an object it allocated.
#include <fastboot/fastboot.hpp>

#include <memory>

static fastboot::root<std::unique_ptr<const int*>> pointer_to_stack{"pointer-to-stack", [] {
  int local = 5;
  return std::make_unique<const int*>(&local);
}};

int main() { return pointer_to_stack->get() != nullptr; }
