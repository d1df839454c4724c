#include <fastboot/fastboot.hpp>

#include <stdexcept>
#include <string>

static fastboot::root<std::string> config{"config", []() -> std::string {
  throw std::runtime_error("config.ini: no such file");
}};

int main() { return config->size() > 0; }
