#include <fastboot/fastboot.hpp>
static fastboot::root<int> answer{"answer", [] { return 42; }};
int main() { return *answer == 42 ? 0 : 1; }
