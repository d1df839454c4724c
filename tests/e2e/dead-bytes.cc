// Bytes no code can read, left holding a value that differs in every run (the process id): a
// short string assigned a shorter one, a long string's buffer past a shorter value, a vector's
// storage past its size, a disengaged optional, a variant whose alternative shrank, strings in
// a map of vectors and in pairs. The
// values are what the program built; the bytes past them must neither fail the bake nor reach
// the image as they were.
#include <unistd.h>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "e2e.h"

namespace {

std::string pid_text() { return std::to_string(getpid() * 7919L); }

using Value = std::tuple<std::string, std::string, std::vector<long>, std::optional<long>, std::variant<long, char>,
                         std::map<std::string, std::vector<std::string>>, std::vector<std::pair<std::string, int>>>;

}  // namespace

static fastboot::root<Value> value{"value", [] {
  ++initializer_runs;
  std::string short_one = pid_text();
  short_one = "ab";  // "ab\0" and then what is left of the digits
  std::string long_one = pid_text() + "-then-long-enough-for-a-heap-buffer";
  long_one = "short again";  // the heap buffer stays, with the digits past the terminator
  std::vector<long> numbers{1, 2, 3};
  numbers.push_back(getpid());
  numbers.pop_back();
  std::optional<long> nothing = getpid();
  nothing.reset();
  std::variant<long, char> small = long(getpid()) << 12;
  small = 'x';
  std::map<std::string, std::vector<std::string>> index;
  for (int i = 0; i < 50; ++i) {
    std::string key = pid_text();
    key = "k" + std::to_string(i);
    std::vector<std::string>& list = index[key];
    list.reserve(8);
    for (int j = 0; j < 3; ++j) {
      std::string w = pid_text();
      w = std::to_string(i * j);
      list.push_back(w);
    }
    list.emplace_back(pid_text());
    list.pop_back();
  }
  std::vector<std::pair<std::string, int>> entries;
  for (int i = 0; i < 100; ++i) {
    std::string w = pid_text();
    w = "e" + std::to_string(i);
    entries.emplace_back(w, i);
  }
  return Value{short_one, long_one, numbers, nothing, small, index, entries};
}};

int main() {
  const auto& [short_one, long_one, numbers, nothing, small, index, entries] = *value;
  long sum = 0;
  for (long n : numbers) sum += n;
  std::printf("%s, %s; %zu numbers summing to %ld; optional %s; variant holds %c\n", short_one.c_str(),
              long_one.c_str(), numbers.size(), sum, nothing ? "engaged" : "empty", std::get<char>(small));
  std::size_t words = 0, chars = 0;
  for (const auto& [key, list] : index) {
    chars += key.size();
    for (const std::string& w : list) ++words, chars += w.size();
  }
  for (const auto& e : entries) chars += e.first.size();
  std::printf("index: %zu keys, %zu words; entries: %zu; %zu characters; k7 -> %s %s %s\n", index.size(), words,
              entries.size(), chars, index.at("k7")[0].c_str(), index.at("k7")[1].c_str(), index.at("k7")[2].c_str());
  print_status();
}
