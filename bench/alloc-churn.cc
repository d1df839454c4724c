// Allocation-heavy work with no roots: maps of strings built and torn down, vectors grown. Built
// twice, with and without the fastboot runtime, to measure what the allocator hooks cost code
// that never touches a root.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 40;
  std::size_t checksum = 0;
  for (int round = 0; round < rounds; ++round) {
    std::map<std::string, std::vector<int>> m;
    for (int i = 0; i < 20000; ++i) {
      auto& v = m["key number " + std::to_string(i * 7919 % 20000)];
      for (int j = 0; j < i % 9; ++j) v.push_back(j);
    }
    for (const auto& [k, v] : m) checksum += k.size() + v.size();
  }
  std::printf("%zu\n", checksum);
}
