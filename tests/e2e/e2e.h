// Shared by the end-to-end programs: count initializer runs and print the status line that
// check-baked.sh reads ("status: baked=<0|1> inits=<n>").
#pragma once

#include <fastboot/fastboot.hpp>

#include <atomic>
#include <cstdio>

inline std::atomic<int> initializer_runs{0};

inline void print_status() {
  std::printf("status: baked=%d inits=%d\n", fastboot::baked() ? 1 : 0, initializer_runs.load());
}
