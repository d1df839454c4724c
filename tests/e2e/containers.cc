// Standard containers and strings, nested in each other.
#include <array>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "e2e.h"

struct Tables {
  std::unordered_map<std::string, std::vector<int>> by_name;
  std::map<int, std::string> by_id;
  std::set<std::string> tags;
  std::deque<long> history;
  std::list<std::pair<int, double>> points;
  std::vector<std::vector<std::string>> rows;
  std::optional<std::string> title;
  std::variant<int, std::string> mode;
  std::array<std::string, 3> small;
  std::string empty;
};

// tests/frozen builds it with E2E_FROZEN, -static (Root, e2e.h): a frozen root where the C
// library is part of the executable.

static Root<Tables> tables{"tables", [] {
  ++initializer_runs;
  Tables t;
  for (int i = 0; i < 20000; ++i) {
    std::string key = "key-" + std::to_string(i);
    t.by_name[key] = {i, i * 2, i * 3};
    if (i % 97 == 0) t.by_id[i] = "value number " + std::to_string(i) + " with a long tail";
  }
  t.tags = {"alpha", "beta", "gamma", "a string longer than the small-string buffer"};
  for (long i = 0; i < 5000; ++i) t.history.push_back(i * i);
  for (int i = 0; i < 100; ++i) t.points.emplace_back(i, i / 4.0);
  t.rows.assign(50, std::vector<std::string>{"x", "yy", std::string(40, 'z')});
  t.title = "the containers test";
  t.mode = std::string("variant holding a string that is long");
  t.small = {"s", "m", std::string(100, 'l')};
  return t;
}};

int main() {
  const Tables& t = *tables;
  long sum = 0;
  for (const auto& [k, v] : t.by_name) sum += v[0] + v[1] + v[2];
  std::printf("by_name: %zu keys, sum %ld, key-12345 -> %d\n", t.by_name.size(), sum, t.by_name.at("key-12345")[2]);
  std::printf("by_id: %zu, first %s, last %s\n", t.by_id.size(), t.by_id.begin()->second.c_str(), t.by_id.rbegin()->second.c_str());
  for (const auto& tag : t.tags) std::printf("tag %s\n", tag.c_str());
  std::printf("history %zu back %ld; points %zu back %.2f\n", t.history.size(), t.history.back(), t.points.size(), t.points.back().second);
  std::printf("rows %zu, cell %s; title %s; mode %s\n", t.rows.size(), t.rows[49][2].c_str(), t.title->c_str(), std::get<std::string>(t.mode).c_str());
  std::printf("small %s %zu; empty '%s'\n", t.small[0].c_str(), t.small[2].size(), t.empty.c_str());
  print_status();
}
