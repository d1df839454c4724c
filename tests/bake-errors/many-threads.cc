// An initializer that starts a thread per element, 140 of them one after another: a bake
// captures the allocations of the first 128 threads the initializers start, and the error names
// that limit, not memory allocated before the bake.
#include <fastboot/fastboot.hpp>

#include <memory>
#include <thread>
#include <vector>

static fastboot::root<std::vector<std::unique_ptr<long>>> cells{"cells", [] {
  std::vector<std::unique_ptr<long>> v(140);
  for (long i = 0; i < 140; ++i) std::thread([&v, i] { v[std::size_t(i)] = std::make_unique<long>(i); }).join();
  return v;
}};

int main() { return int(*(*cells)[139] & 1) - 1; }
