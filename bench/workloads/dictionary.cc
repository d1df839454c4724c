// The system word list in a vector and two hash maps: the dictionary sample's data.
#include <cereal/archives/binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/vector.hpp>

#include "../../samples/dictionary/dictionary.h"
#include "harness.h"

template <class A>
void serialize(A& ar, Dictionary& d) {
  ar(d.words, d.index, d.anagrams);
}

struct DictionaryWorkload {
  using Data = Dictionary;
  static Data build() { return Dictionary::load(WORDS_FILE); }
  static void save(const Data& d, std::ostream& out) { workload::cereal_write<cereal::BinaryOutputArchive>(out, d); }
  static Data load(std::istream& in) { return workload::cereal_read<cereal::BinaryInputArchive, Data>(in); }
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

static FASTBOOT_BENCH_ROOT<Dictionary> dictionary{"dictionary", [] { return DictionaryWorkload::build(); }};

int main(int argc, char** argv) { return workload::run<DictionaryWorkload>(argc, argv, dictionary); }
