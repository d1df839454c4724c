// A table sorted with TBB's parallel_sort and filled with parallel_for, and one sorted with
// std::execution::par (libstdc++'s TBB backend). TBB's workers steal work, so which thread
// touches what differs from run to run.
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <execution>
#include <string>
#include <vector>

#include "e2e.h"

struct Table {
  std::vector<std::string> names;  // parallel_for fills, parallel_sort orders
  std::vector<long> numbers;       // std::sort(std::execution::par, ...)
};

static fastboot::root<Table> table{"table", [] {
  ++initializer_runs;
  Table t;
  t.names.resize(20000);
  tbb::parallel_for(0, 20000, [&](int i) {
    t.names[i] = "name-" + std::to_string((i * 7919) % 20011) + "-with-a-heap-buffer";
  });
  tbb::parallel_sort(t.names.begin(), t.names.end());
  for (long i = 0; i < 50000; ++i) t.numbers.push_back((i * 104729) % 99991);
  std::sort(std::execution::par, t.numbers.begin(), t.numbers.end());
  return t;
}};

int main() {
  const Table& t = *table;
  std::printf("names: %zu, first %s, last %s; numbers: %zu, sorted %d, median %ld\n", t.names.size(),
              t.names.front().c_str(), t.names.back().c_str(), t.numbers.size(),
              std::is_sorted(t.numbers.begin(), t.numbers.end()) ? 1 : 0, t.numbers[t.numbers.size() / 2]);
  print_status();
}
