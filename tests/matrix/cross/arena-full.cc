// A thread the initializer starts allocates 100 MiB: more than its region of the smaller arena a
// bake under an emulator uses (64 MiB), though not of a native bake's (512 MiB). The bake must
// fail saying the arena is full, not only that the initializer died of an uncaught std::bad_alloc.
#include <fastboot/fastboot.hpp>

#include <thread>
#include <vector>

static fastboot::root<std::vector<char>> big{"big", [] {
  std::vector<char> v;
  std::thread([&] { v.reserve(100 << 20); }).join();
  return v;
}};

int main() { return int(big->capacity() >> 40); }
