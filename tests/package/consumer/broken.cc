#include <fastboot/fastboot.hpp>

#include <stdexcept>
#include <string>

static fastboot::root<std::string> broken{"broken", []() -> std::string { throw std::runtime_error("cannot reach the server"); }};

int main() { return int(broken->size()); }
