// Baked objects are ordinary heap objects: they can be grown, erased, cleared and destroyed.
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "e2e.h"

struct State {
  std::unordered_map<std::string, std::vector<int>> table;
  std::map<int, std::string> ordered;
  std::vector<std::string> log;
  std::string text;
};

static fastboot::root<State> state{"state", [] {
  ++initializer_runs;
  State s;
  for (int i = 0; i < 2000; ++i) s.table["k" + std::to_string(i)] = std::vector<int>(i % 7 + 1, i);
  for (int i = 0; i < 500; ++i) s.ordered[i] = "ordered value " + std::to_string(i) + " long enough for the heap";
  s.log.assign(10, "log line that lives on the heap");
  s.text = "baked text, longer than the small-string buffer";
  return s;
}};

int main() {
  // Roots are const; a program that owns its data may still change it.
  auto& s = const_cast<State&>(*state);
  for (int i = 0; i < 2000; i += 2) s.table.erase("k" + std::to_string(i));   // frees baked nodes
  for (int i = 2000; i < 6000; ++i) s.table["k" + std::to_string(i)].push_back(i);  // rehashes
  s.table["k1"].resize(1000, 1);  // reallocates a baked vector
  for (int i = 0; i < 500; i += 3) s.ordered.erase(i);
  s.ordered[10000] = "new";
  s.log.clear();
  s.log.shrink_to_fit();
  s.log.push_back("after clear");
  s.text += std::string(200, '+');  // grows a baked string
  long sum = 0;
  for (const auto& [k, v] : s.table) sum += long(v.size()) + v.back();
  std::printf("table %zu entries, checksum %ld, k1 has %zu\n", s.table.size(), sum, s.table["k1"].size());
  std::printf("ordered %zu, first %s, last %s\n", s.ordered.size(), s.ordered.begin()->second.c_str(), s.ordered.rbegin()->second.c_str());
  std::printf("log %zu: %s; text %zu\n", s.log.size(), s.log[0].c_str(), s.text.size());
  {
    State moved = std::move(s);  // destroys the baked containers at the end of this scope
    std::printf("moved out %zu entries\n", moved.table.size());
  }
  std::printf("after destroy: %zu entries\n", s.table.size());
  print_status();
}
