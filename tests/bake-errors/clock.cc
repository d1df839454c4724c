// A clock reading in a baked value.
#include <fastboot/fastboot.hpp>

#include <chrono>

struct Stamp {
  std::chrono::steady_clock::time_point built = std::chrono::steady_clock::now();
};

static fastboot::root<Stamp> stamp{"stamp", [] { return Stamp{}; }};

int main() { return int(stamp->built.time_since_epoch().count() & 1); }
