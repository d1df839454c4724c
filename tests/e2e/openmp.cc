// A word index built with OpenMP (`parallel for`, static schedule, four threads): each
// iteration's allocations are made by the thread that runs it, and OpenMP's pool outlives the
// initializer. The baked program never starts the pool.
#include <omp.h>

#include <algorithm>
#include <string>
#include <vector>

#include "e2e.h"

struct Index {
  std::vector<std::vector<std::string>> documents;  // tokens of each document, sorted
};

static fastboot::root<Index> index_root{"index", [] {
  ++initializer_runs;
  Index idx;
  idx.documents.resize(64);
#pragma omp parallel for schedule(static) num_threads(4)
  for (int d = 0; d < 64; ++d) {
    std::vector<std::string> tokens;
    for (int i = 0; i < 300; ++i) tokens.push_back("w" + std::to_string((d * 131 + i * 17) % 997));
    std::sort(tokens.begin(), tokens.end());
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    idx.documents[d] = std::move(tokens);
  }
  return idx;
}};

int main() {
  const Index& idx = *index_root;
  std::size_t tokens = 0;
  for (const auto& d : idx.documents) tokens += d.size();
  std::printf("documents: %zu, tokens: %zu, doc 5: %s..%s, doc 63: %zu tokens\n", idx.documents.size(), tokens,
              idx.documents[5].front().c_str(), idx.documents[5].back().c_str(), idx.documents[63].size());
  print_status();
}
