#include "huge-pages.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace fastboot::baker {

namespace {

// Holds the caller's GLIBC_TUNABLES while the baker runs itself again: "=" and its value, or
// "none".
constexpr const char* kCallerTunables = "FASTBOOT_BAKER_CALLER_TUNABLES";
constexpr const char* kHugeTunable = "glibc.malloc.hugetlb=1";

}  // namespace

void exec_with_huge_pages(char** argv) {
  if (const char* caller = std::getenv(kCallerTunables)) {
    // The second start: the tunable took effect; give the programs the baker starts the
    // environment the baker was started with.
    std::string value = caller;
    if (value.rfind('=', 0) == 0) setenv("GLIBC_TUNABLES", value.c_str() + 1, 1);
    else unsetenv("GLIBC_TUNABLES");
    unsetenv(kCallerTunables);
    return;
  }
  std::string mode;
  std::getline(std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled"), mode);
  if (mode.find("[madvise]") == std::string::npos) return;  // always: glibc gets them; never: none to get
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::string caller = tunables ? tunables : "";
  if (caller.find("glibc.malloc.hugetlb") != std::string::npos) return;  // the caller chose
  std::string with = caller.empty() ? kHugeTunable : caller + ":" + kHugeTunable;
  setenv(kCallerTunables, tunables ? ("=" + caller).c_str() : "none", 1);
  setenv("GLIBC_TUNABLES", with.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Could not: go on with 4 KiB pages, in the caller's environment.
  if (tunables) setenv("GLIBC_TUNABLES", tunables, 1);
  else unsetenv("GLIBC_TUNABLES");
  unsetenv(kCallerTunables);
}

void give_large_blocks_back() {
  constexpr int kThreshold = 256 << 10;
  mallopt(M_MMAP_THRESHOLD, kThreshold);
  mallopt(M_TRIM_THRESHOLD, kThreshold);
}

}  // namespace fastboot::baker
