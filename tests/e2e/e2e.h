// Shared by the end-to-end programs and the random ones (tests/differential): count initializer
// runs and print the status line that check-baked.sh reads ("status: baked=<0|1> inits=<n>").
#pragma once

#include <fastboot/fastboot.hpp>
#include <sys/mman.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string_view>

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

// Occupies the image's preferred base (the baker's first arena base; the image's section starts
// a few pages below it), so the runtime finds it taken at the first root access.
inline void take_preferred_base() {
  void* want = reinterpret_cast<void*>(0x7e8100000000 - (1 << 20));
  if (mmap(want, 2 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != want)
    std::printf("could not occupy the preferred base\n");
}

// For programs baked ADDRESS_STABLE: with E2E_TAKE_BASE=1 in the environment, take the preferred
// base before the first root access, so check-baked.sh can prove the image is then not used (its
// tables keyed by address would be wrong anywhere else).
inline void take_base_if_asked() {
  const char* take = std::getenv("E2E_TAKE_BASE");
  if (take && std::string_view(take) == "1") take_preferred_base();
}
