// The dictionary the sample (and the dictionary benchmark) builds: every word of a word list,
// an index from word to position, and anagram classes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

struct Dictionary {
  std::vector<std::string> words;
  std::unordered_map<std::string, std::uint32_t> index;                  // word -> position
  std::unordered_map<std::string, std::vector<std::uint32_t>> anagrams;  // sorted letters -> words

  static Dictionary load(const char* path) {
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
};
