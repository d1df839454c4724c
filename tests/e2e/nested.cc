// Roots built from other roots, and roots whose type is a pointer.
#include <memory>
#include <string>
#include <vector>

#include "e2e.h"

struct Vocabulary {
  std::vector<std::string> words;
};
struct Index {
  const Vocabulary* vocabulary;              // points into another root's value
  std::vector<const std::string*> longest;   // and into its heap
};
struct Config {
  std::string name;
  int level;
};

static fastboot::root<Vocabulary> vocabulary{"vocabulary", [] {
  ++initializer_runs;
  Vocabulary v;
  for (int i = 0; i < 1000; ++i) v.words.push_back("word-" + std::to_string(i * 7919 % 1000) + std::string(i % 13, '+'));
  return v;
}};

static fastboot::root<Index> index_root{"index", [] {
  ++initializer_runs;
  Index ix{vocabulary.get(), {}};
  for (const auto& w : vocabulary->words)
    if (w.size() > 18) ix.longest.push_back(&w);
  return ix;
}};

static fastboot::root<std::unique_ptr<Config>> config{"config", [] {
  ++initializer_runs;
  return std::make_unique<Config>(Config{"a configuration name longer than fifteen", 3});
}};

static fastboot::root<Config*> raw_config{"raw-config", [] {
  ++initializer_runs;
  return new Config{"raw", 9};
}};

int main() {
  std::printf("index sees the vocabulary root: %s\n", index_root->vocabulary == vocabulary.get() ? "yes" : "no");
  std::printf("%zu longest words, first %s, last %s\n", index_root->longest.size(), index_root->longest.front()->c_str(),
              index_root->longest.back()->c_str());
  std::printf("config %s level %d; raw %s level %d\n", (*config)->name.c_str(), (*config)->level,
              (*raw_config)->name.c_str(), (*raw_config)->level);
  print_status();
}
