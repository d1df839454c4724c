// An initializer that reads a file, an environment variable, a clock and the kernel's entropy,
// keeping only values that are the same in every run (so the bake succeeds), and a thread it
// starts that reads another file: the audit lists all five.
#include <fastboot/fastboot.hpp>

#include <sys/random.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

static fastboot::root<std::string> summary{"summary", [] {
  std::ifstream in("/etc/hostname");
  const char* home = std::getenv("FASTBOOT_AUDIT_TEST_VARIABLE");
  bool clock_works = std::time(nullptr) > 0;
  unsigned char byte;
  bool entropy_works = getrandom(&byte, 1, 0) == 1;
  bool worker_read = false;
  std::thread([&] { worker_read = bool(std::ifstream("/etc/os-release")); }).join();
  return std::string(home ? "set" : "unset") + (clock_works ? " clock" : "") + (entropy_works ? " entropy" : "") +
         (in ? " file" : "") + (worker_read ? " worker" : "");
}};

int main() { return summary->empty(); }
