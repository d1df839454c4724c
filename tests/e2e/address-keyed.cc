// Tables keyed by their objects' addresses, baked ADDRESS_STABLE: an unordered_map and an
// unordered_set keyed by pointers, a map ordered by them, and an open-addressing table hashed on
// them with an empty-slot marker (LLVM's DenseMap's pattern). At the preferred base every key is
// the address it was hashed at, so lookups with the objects' own addresses find them; anywhere
// else the program runs the initializer (check-baked.sh, ADDRESS_STABLE=1).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "e2e.h"

namespace {

struct Node {
  std::string name;
  std::vector<Node*> edges;
};

// Open addressing on pointer hashes, with nullptr as the empty key.
struct PointerTable {
  std::vector<const Node*> keys;
  std::vector<int> values;
  static std::size_t hash(const Node* p) {
    auto v = reinterpret_cast<std::uintptr_t>(p);
    return (v >> 4) ^ (v >> 9);
  }
  explicit PointerTable(std::size_t slots) : keys(slots, nullptr), values(slots, 0) {}
  void put(const Node* k, int v) {
    std::size_t i = hash(k) & (keys.size() - 1);
    while (keys[i] && keys[i] != k) i = (i + 1) & (keys.size() - 1);
    keys[i] = k, values[i] = v;
  }
  const int* find(const Node* k) const {
    for (std::size_t i = hash(k) & (keys.size() - 1); keys[i]; i = (i + 1) & (keys.size() - 1))
      if (keys[i] == k) return &values[i];
    return nullptr;
  }
};

struct Graph {
  std::vector<std::unique_ptr<Node>> nodes;
  std::unordered_map<const Node*, std::size_t> index;    // node -> its position in nodes
  std::unordered_map<Node*, std::vector<Node*>> callers;  // reverse edges
  std::unordered_set<const Node*> leaves;                 // nodes without edges
  std::map<const Node*, std::string> labels;              // ordered by address
  PointerTable depth{8192};                               // shortest distance from node 0
};

std::unique_ptr<Graph> build() {
  ++initializer_runs;
  auto g = std::make_unique<Graph>();
  constexpr std::size_t n = 3000;
  for (std::size_t i = 0; i < n; ++i) {
    g->nodes.push_back(std::make_unique<Node>());
    g->nodes.back()->name = "function_number_" + std::to_string(i);
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k : {i * 7 + 1, i * 13 + 5, i / 2 + 3})
      if (k < n && k != i && i % 11 != 10) g->nodes[i]->edges.push_back(g->nodes[k].get());
  for (std::size_t i = 0; i < n; ++i) {
    Node* node = g->nodes[i].get();
    g->index[node] = i;
    if (node->edges.empty()) g->leaves.insert(node);
    for (Node* to : node->edges) g->callers[to].push_back(node);
    if (i % 100 == 0) g->labels[node] = "label of " + node->name;
  }
  // Breadth-first from node 0, distances in the pointer table.
  std::vector<const Node*> queue{g->nodes[0].get()};
  g->depth.put(queue[0], 0);
  for (std::size_t q = 0; q < queue.size(); ++q)
    for (const Node* to : queue[q]->edges)
      if (!g->depth.find(to)) {
        g->depth.put(to, *g->depth.find(queue[q]) + 1);
        queue.push_back(to);
      }
  return g;
}

Root<std::unique_ptr<Graph>> graph{"graph", build};

}  // namespace

int main() {
  take_base_if_asked();
  const Graph& g = **graph;
  // Every lookup hashes the node's address now, in this process.
  std::size_t misplaced = 0, callers = 0, reached = 0, depth_sum = 0;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Node* node = g.nodes[i].get();
    auto it = g.index.find(node);
    if (it == g.index.end() || it->second != i) ++misplaced;
    auto c = g.callers.find(g.nodes[i].get());
    if (c != g.callers.end()) callers += c->second.size();
    if (const int* d = g.depth.find(node)) ++reached, depth_sum += std::size_t(*d);
  }
  std::printf("nodes %zu, misplaced %zu, reverse edges %zu, leaves %zu\n", g.nodes.size(), misplaced, callers,
              g.leaves.size());
  std::printf("reached from node 0: %zu, depths sum to %zu\n", reached, depth_sum);
  std::printf("leaf 2999 found: %d, node 0 a leaf: %d\n", g.leaves.count(g.nodes[2999].get()) ? 1 : 0,
              g.leaves.count(g.nodes[0].get()) ? 1 : 0);
  // The map ordered by address finds its labels by the nodes' addresses too.
  std::size_t labelled = 0;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) labelled += g.labels.count(g.nodes[i].get());
  std::printf("labels %zu, %zu found, node 500's '%s'\n", g.labels.size(), labelled,
              g.labels.at(g.nodes[500].get()).c_str());
  const Node* n42 = g.nodes[42].get();
  std::printf("%s -> %zu edges; callers of %s: %zu\n", n42->name.c_str(), n42->edges.size(), n42->name.c_str(),
              g.callers.count(g.nodes[42].get()) ? g.callers.at(g.nodes[42].get()).size() : 0);
  print_status();
}
