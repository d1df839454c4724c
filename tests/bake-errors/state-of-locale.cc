// State outside the roots that the initializers fill with a value derived from the time zone:
// a function-local static they construct (a logger registry whose formatter caches a local
// time; a static holding a local hour itself), and a global that already held a value (a banner pointing at a default, which they
// replace). The second bake run's other TZ makes both differ. Neither can be restored, and
// neither may be left out: the baked program would find the registry without what the
// initializers put in it, and the default banner.
// Unlike a value a library computes lazily behind an empty pointer (ICU's default locale,
// e2e.icu-locale), which is computed again where the program runs.
#include <fastboot/fastboot.hpp>

#include <ctime>
#include <map>
#include <string>

namespace {

std::string local_time() {
  std::time_t t = 1700000000;
  std::tm local{};
  localtime_r(&t, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S local time, a formatter's cache", &local);
  return text;
}

struct Registry {
  std::map<std::string, std::string> loggers;  // name -> its formatter's cached time
};

Registry& registry() {
  static Registry r;
  return r;
}

long local_hour() {
  static const long hour = [] {  // a static holding the value itself
    std::time_t t = 1700000000;
    std::tm local{};
    localtime_r(&t, &local);
    return long(local.tm_hour) * 1000 + local.tm_min;
  }();
  return hour;
}

const std::string default_banner = "no start time";
const std::string* banner = &default_banner;

}  // namespace

static fastboot::root<int> loggers{"loggers", [] {
  registry().loggers["loader"] = local_time();
  return 1;
}};

static fastboot::root<long> hour{"hour", [] { return local_hour() >= 0 ? 1L : 0L; }};

static fastboot::root<int> configured{"configured", [] {
  banner = new std::string("started at " + local_time());
  return 2;
}};

int main() { return *loggers + *configured + *hour + int(registry().loggers.size() + banner->size()) > 4 ? 0 : 1; }
