#include <fastboot/fastboot.hpp>

static fastboot::root<int> crashy{"crashy", [] {
  volatile int* p = nullptr;
  return *p;
}};

int main() { return *crashy; }
