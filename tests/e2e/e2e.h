// Shared by the end-to-end programs and the random ones (tests/differential): count initializer
// runs and print the status line that check-baked.sh reads ("status: baked=<0|1> inits=<n>").
#pragma once

#include <fastboot/fastboot.hpp>

#include <atomic>
#include <cstdio>

inline std::atomic<int> initializer_runs{0};

// A root, or a frozen root where tests/frozen builds the same program with E2E_FROZEN.
#ifdef E2E_FROZEN
template <class T>
using Root = fastboot::frozen<T>;
#else
template <class T>
using Root = fastboot::root<T>;
#endif

inline void print_status() {
  std::printf("status: baked=%d inits=%d\n", fastboot::baked() ? 1 : 0, initializer_runs.load());
}
