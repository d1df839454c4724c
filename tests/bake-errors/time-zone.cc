// A local time in a baked value: it depends on the time zone of the machine that computes it.
// The second bake run sets TZ to another zone, so the value differs and the error names TZ.
#include <fastboot/fastboot.hpp>

#include <ctime>

struct Opening {
  int hour = 0, minute = 0;  // of a fixed instant, in local time
};

static fastboot::root<Opening> opening{"opening", [] {
  std::time_t t = 1700000000;
  std::tm local{};
  localtime_r(&t, &local);
  return Opening{local.tm_hour, local.tm_min};
}};

int main() { return opening->hour & 1; }
