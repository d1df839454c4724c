// A root whose objects point into a library's registry, a function-local static of a stripped
// library that the initializer constructed during the bake: the error names the object holding
// the pointer, its allocation site and its path from the root.
#include <fastboot/fastboot.hpp>

#include <memory>
#include <string>
#include <vector>

std::shared_ptr<std::string> registry_get(const std::string& name);
const std::string* registry_default_name();

static fastboot::root<std::vector<const std::string*>> registry{"registry", [] {
  registry_get("main");
  return std::vector<const std::string*>{registry_default_name()};
}};

int main() { return int(registry->front()->size() & 1); }
