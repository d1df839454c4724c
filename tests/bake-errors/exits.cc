#include <fastboot/fastboot.hpp>

#include <cstdlib>

static fastboot::root<int> quitter{"quitter", []() -> int { std::exit(3); }};

int main() { return *quitter; }
