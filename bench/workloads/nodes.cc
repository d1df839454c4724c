// A large heap of small linked nodes (NODES_MB megabytes of 32-byte nodes): each node links to
// the next in a shuffled order and skips ahead to a random other node.
#include <cereal/archives/binary.hpp>
#include <cereal/types/vector.hpp>

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <random>
#include <vector>

#include "harness.h"

struct Node {
  Node* next;
  Node* skip;
  std::uint64_t key;
  std::uint64_t value;
};

struct Nodes {
  struct Data {
    Node* head = nullptr;
    std::vector<Node*> every_1024th;  // entry points for queries
    std::uint64_t count = 0;
  };
  static constexpr std::uint64_t kCount = std::uint64_t(NODES_MB) * 1024 * 1024 / sizeof(Node);

  static Data build() {
    std::mt19937_64 rng(42);
    std::vector<Node*> nodes(kCount);
    for (auto& n : nodes) n = new Node{nullptr, nullptr, rng(), 0};
    std::vector<std::uint32_t> order(kCount);
    for (std::uint32_t i = 0; i < kCount; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (std::uint64_t i = 0; i + 1 < kCount; ++i) nodes[order[i]]->next = nodes[order[i + 1]];
    for (std::uint64_t i = 0; i < kCount; ++i) {
      nodes[i]->skip = nodes[rng() % kCount];
      nodes[i]->value = i;
    }
    Data d{nodes[order[0]], {}, kCount};
    for (std::uint64_t i = 0; i < kCount; i += 1024) d.every_1024th.push_back(nodes[i]);
    return d;
  }
  // The serialized form: keys, values, and links as indices.
  static void save(const Data& d, std::ostream& out) {
    std::vector<Node*> all;
    for (Node* n = d.head; n; n = n->next) all.push_back(n);
    std::unordered_map<const Node*, std::uint64_t> id;
    for (std::uint64_t i = 0; i < all.size(); ++i) id[all[i]] = i;
    std::vector<std::uint64_t> keys, values, skips, entries;
    for (Node* n : all) {
      keys.push_back(n->key);
      values.push_back(n->value);
      skips.push_back(id[n->skip]);
    }
    for (Node* e : d.every_1024th) entries.push_back(id[e]);
    cereal::BinaryOutputArchive archive(out);
    archive(keys, values, skips, entries);
  }
  static Data load(std::istream& in) {
    std::vector<std::uint64_t> keys, values, skips, entries;
    cereal::BinaryInputArchive archive(in);
    archive(keys, values, skips, entries);
    std::vector<Node*> all(keys.size());
    for (std::uint64_t i = 0; i < keys.size(); ++i) all[i] = new Node{nullptr, nullptr, keys[i], values[i]};
    for (std::uint64_t i = 0; i < keys.size(); ++i) {
      all[i]->next = i + 1 < keys.size() ? all[i + 1] : nullptr;
      all[i]->skip = all[skips[i]];
    }
    Data d{all.empty() ? nullptr : all[0], {}, keys.size()};
    for (std::uint64_t e : entries) d.every_1024th.push_back(all[e]);
    return d;
  }
  static std::uint64_t first(const Data& d) { return d.head->key; }
  static std::uint64_t query(const Data& d, std::uint64_t i) {
    const Node* n = d.every_1024th[i % d.every_1024th.size()];
    for (int hop = 0; hop < 8; ++hop) n = n->skip;
    return n->value;
  }
  static std::uint64_t touch_all(const Data& d) {
    std::uint64_t sum = 0;
    for (const Node* n = d.head; n; n = n->next) sum += n->value;
    return sum;
  }
};

static FASTBOOT_BENCH_ROOT<Nodes::Data> nodes{"nodes", [] { return Nodes::build(); }};

int main(int argc, char** argv) { return workload::run<Nodes>(argc, argv, nodes); }
