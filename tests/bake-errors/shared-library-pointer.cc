// A pointer into libc's data (its stdout FILE object).
#include <fastboot/fastboot.hpp>

#include <cstdio>

static fastboot::root<FILE*> stream{"stream", [] { return stdout; }};

int main() { return *stream != nullptr; }
