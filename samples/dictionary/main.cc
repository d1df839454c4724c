// A program that needs a dictionary before it can answer: every word of the system word list,
// an index from word to position, and anagram classes. Built from the text file on every start
// when unbaked; mapped from the executable when baked.
#include <fastboot/fastboot.hpp>

#include <chrono>
#include <cstdio>

#include "dictionary.h"

namespace {

fastboot::root<Dictionary> dictionary{"dictionary", [] { return Dictionary::load(WORDS_FILE); }};

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
