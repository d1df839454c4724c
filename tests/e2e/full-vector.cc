// A full vector's end is also the address of whatever the initializer allocated next. Here that
// is a block it abandons, holding a value that differs from run to run (the process id): the
// image must not keep it, and the bake must not refuse it. The first bake reads the end as the
// next block's start, finds that block unbakeable and reachable only that way, and bakes again
// with a gap after every allocation.
#include <unistd.h>

#include <vector>

#include "e2e.h"

static fastboot::root<std::vector<long>> full{"full", [] {
  ++initializer_runs;
  std::vector<long> v(4, 7);             // size == capacity: its end is where the next block goes
  new long[4]{long(getpid()) * 7919L};  // abandoned, and different in every run
  return v;
}};

int main() {
  long sum = 0;
  for (long x : *full) sum += x;
  std::printf("%zu elements, capacity %zu, sum %ld\n", full->size(), full->capacity(), sum);
  print_status();
}
