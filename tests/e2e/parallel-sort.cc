// Short strings sorted on several threads: each move copies a string's characters and its
// terminator and leaves the rest of the inline buffer as it was, so what lies past each
// terminator depends on the order of the moves, which depends on timing. The root's own type
// says where those bytes are (a vector of strings, a pair holding one).
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <execution>
#include <string>
#include <utility>
#include <vector>

#include "e2e.h"

namespace {

std::vector<std::string> words(unsigned seed) {
  std::vector<std::string> v;
  unsigned x = seed;
  for (int i = 0; i < 60000; ++i) {
    std::string w;
    int n = 1 + int((x >> 7) % 14);
    for (int k = 0; k < n; ++k) x = x * 1103515245u + 12345u, w += char('a' + (x >> 16) % 26);
    v.push_back(std::move(w));
  }
  return v;
}

void print(const char* name, const std::vector<std::string>& v) {
  std::size_t chars = 0;
  for (const std::string& w : v) chars += w.size();
  std::printf("%s: %zu words, %zu characters, sorted %d, first %s, middle %s, last %s\n", name, v.size(), chars,
              std::is_sorted(v.begin(), v.end()) ? 1 : 0, v.front().c_str(), v[v.size() / 2].c_str(),
              v.back().c_str());
}

}  // namespace

static fastboot::root<std::vector<std::string>> sorted{"sorted", [] {
  ++initializer_runs;
  std::vector<std::string> v = words(1);
  tbb::parallel_sort(v.begin(), v.end());
  return v;
}};

static fastboot::root<std::vector<std::string>> par{"par", [] {
  ++initializer_runs;
  std::vector<std::string> v = words(2);
  std::sort(std::execution::par, v.begin(), v.end());
  return v;
}};

static fastboot::root<std::pair<int, std::vector<std::string>>> lexicon{"lexicon", [] {
  ++initializer_runs;
  std::vector<std::string> v = words(3);
  tbb::parallel_sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return std::make_pair(3, std::move(v));
}};

int main() {
  print("tbb", *sorted);
  print("par", *par);
  const std::vector<std::string>& l = lexicon->second;
  std::printf("lexicon: %zu words, shortest %s, longest %s\n", l.size(), l.front().c_str(), l.back().c_str());
  print_status();
}
