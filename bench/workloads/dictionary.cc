// The system word list in a vector and two hash maps (the dictionary sample's data).
#include <cereal/archives/binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/vector.hpp>

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "harness.h"

struct Dictionary {
  using Data = Dictionary;
  std::vector<std::string> words;
  std::unordered_map<std::string, std::uint32_t> index;
  std::unordered_map<std::string, std::vector<std::uint32_t>> anagrams;

  template <class A>
  void serialize(A& ar) { ar(words, index, anagrams); }

  static Data build() {
    std::ifstream in(WORDS_FILE);
    Data d;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto pos = static_cast<std::uint32_t>(d.words.size());
      d.index.emplace(line, pos);
      std::string key = line;
      std::sort(key.begin(), key.end());
      d.anagrams[key].push_back(pos);
      d.words.push_back(std::move(line));
    }
    return d;
  }
  static void save(const Data& d, std::ostream& out) { cereal::BinaryOutputArchive archive(out);
    archive(d); }
  static Data load(std::istream& in) {
    Data d;
    cereal::BinaryInputArchive archive(in);
    archive(d);
    return d;
  }
  static std::uint64_t first(const Data& d) { return d.index.at("listen") + d.anagrams.size(); }
  static std::uint64_t query(const Data& d, std::uint64_t i) {
    return d.index.find(d.words[i % d.words.size()])->second;
  }
  static std::uint64_t touch_all(const Data& d) {
    std::uint64_t sum = 0;
    for (const auto& [w, i] : d.index) sum += w.size() + i;
    for (const auto& [k, v] : d.anagrams) sum += v.size();
    return sum;
  }
};

static fastboot::root<Dictionary> dictionary{"dictionary", [] { return Dictionary::build(); }};

int main(int argc, char** argv) { return workload::run<Dictionary>(argc, argv, dictionary); }
