// A program that needs a dictionary before it can answer: every word of the system word list,
// an index from word to position, and anagram classes. Built from the text file on every start
// when unbaked; mapped from the executable when baked.
#include <fastboot/fastboot.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

struct Dictionary {
  std::vector<std::string> words;
  std::unordered_map<std::string, std::uint32_t> index;                  // word -> position
  std::unordered_map<std::string, std::vector<std::uint32_t>> anagrams;  // sorted letters -> words
};

Dictionary load(const char* path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string("cannot open ") + path);
  Dictionary d;
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

fastboot::root<Dictionary> dictionary{"dictionary", [] { return load(WORDS_FILE); }};

}  // namespace

int main(int argc, char** argv) {
  auto start = std::chrono::steady_clock::now();
  const Dictionary& d = *dictionary;
  std::string query = argc > 1 ? argv[1] : "listen";
  auto hit = d.index.find(query);
  std::string key = query;
  std::sort(key.begin(), key.end());
  auto ana = d.anagrams.find(key);
  auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);

  std::printf("%zu words, %zu anagram classes (%s)\n", d.words.size(), d.anagrams.size(),
              fastboot::baked() ? "baked" : "built at startup");
  std::printf("'%s' is %s", query.c_str(), hit == d.index.end() ? "not a word" : "word #");
  if (hit != d.index.end()) std::printf("%u", hit->second);
  std::printf("; anagrams:");
  if (ana != d.anagrams.end())
    for (std::uint32_t i : ana->second)
      if (d.words[i] != query) std::printf(" %s", d.words[i].c_str());
  std::printf("\nfirst answer %.3f ms after main started\n", elapsed.count());
}
