// Characters that differ between the runs (here, the process id written as text): the error
// says the word is text, not a clock reading.
#include <fastboot/fastboot.hpp>
#include <unistd.h>

#include <cstdio>

struct Label {
  char text[16] = {};
};

static fastboot::root<Label> label{"label", [] {
  Label l;
  std::snprintf(l.text, sizeof(l.text), "%08ld", long(getpid()) * 7919 % 100000000);
  return l;
}};

int main() { return int(label->text[0] & 1); }
