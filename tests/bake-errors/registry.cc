// Roots whose objects point into a library's registry, a function-local static of a stripped
// library that the initializer constructed during the bake: the error names the object holding
// the pointer, its allocation site and its path from the root. 'registry' points at a string in
// it; 'position' holds a position in its map, whose first node points at the map's header
// inside the static, at a word the bake did not change beside words it did.
#include <fastboot/fastboot.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

std::shared_ptr<std::string> registry_get(const std::string& name);
const std::string* registry_default_name();
const void* registry_loggers();
using Loggers = std::map<std::string, std::shared_ptr<std::string>>;

static fastboot::root<std::vector<const std::string*>> registry{"registry", [] {
  registry_get("main");
  return std::vector<const std::string*>{registry_default_name()};
}};

static fastboot::root<Loggers::const_iterator> position{"position", [] {
  registry_get("network");
  return static_cast<const Loggers*>(registry_loggers())->find("main");
}};

int main() { return int((registry->front()->size() + (*position)->first.size()) & 1); }
