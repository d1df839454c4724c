// A library that keeps a registry in a function-local static, as spdlog's logger registry and
// Boost.Regex's traits cache do, with the id of the process that last used it: the bake cannot
// restore it (the id differs between the runs). Built stripped: no symbol names the static.
#include <unistd.h>

#include <map>
#include <memory>
#include <string>

namespace {
struct Registry {
  std::map<std::string, std::shared_ptr<std::string>> loggers;
  std::string default_name;
  long user = 0;
};
Registry& instance() {
  static Registry r;
  return r;
}
}  // namespace

__attribute__((visibility("default"))) std::shared_ptr<std::string> registry_get(const std::string& name) {
  Registry& r = instance();
  r.user = getpid();
  auto& slot = r.loggers[name];
  if (!slot) slot = std::make_shared<std::string>("logger " + name);
  if (r.default_name.empty()) r.default_name = "the first logger registered: " + name;
  return slot;
}

__attribute__((visibility("default"))) const std::string* registry_default_name() { return &instance().default_name; }

__attribute__((visibility("default"))) const void* registry_loggers() { return &instance().loggers; }
