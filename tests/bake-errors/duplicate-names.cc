#include <fastboot/fastboot.hpp>

static fastboot::root<int> first{"twin", [] { return 1; }};
static fastboot::root<int> second{"twin", [] { return 2; }};

int main() { return *first + *second; }
