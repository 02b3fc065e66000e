#include "host/cpu/spanning_forest.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>

#include "host/core/error.h"
#include "host/core/mutual_reachability.h"
#include "host/core/union_find.h"

namespace unfriend {

namespace {

constexpr int64_t kNone = -1;

// One kNN entry seen as an undirected forest edge.
struct EdgeKey {
  float weight;
  int64_t lo, hi;
  bool before(const EdgeKey& other) const {
    return forest_edge_before(weight, lo, hi, other.weight, other.lo, other.hi);
  }
};

}  // namespace

SpanningForest cpu_spanning_forest(const KnnGraph& graph, const std::vector<float>& distances,
                                   const std::vector<float>& core_distance) {
  check_density_input(graph, distances, core_distance);
  const int64_t n = graph.rows;
  const int k = graph.k;
  check_neighbor_indices(graph);
  auto key_of = [&](int64_t e) {
    const int64_t i = e / k, other = graph.neighbors[static_cast<size_t>(e)];
    return EdgeKey{mutual_reachability(distances[static_cast<size_t>(e)], core_distance[i],
                                       core_distance[other]),
                   std::min(i, other), std::max(i, other)};
  };

  // Boruvka: every round, each component takes the lightest edge leaving it (an entry is
  // offered to the components of both its endpoints, since it is listed by one of them only);
  // those edges are in the forest by the cut property. A row whose entries all lie inside its
  // component stays so, and is not scanned again.
  UnionFind sets(n);
  std::vector<int64_t> component(static_cast<size_t>(n));
  std::iota(component.begin(), component.end(), int64_t{0});
  std::vector<std::atomic<int64_t>> best(static_cast<size_t>(n));
  std::vector<uint8_t> active(static_cast<size_t>(n), 1);
  std::vector<EdgeKey> taken;
  for (;;) {
    for (auto& b : best) b.store(kNone, std::memory_order_relaxed);
    // Keeps the lighter entry in a component's slot (equal keys: the smaller entry index).
    auto offer = [&](int64_t c, int64_t e, const EdgeKey& key) {
      std::atomic<int64_t>& slot = best[static_cast<size_t>(c)];
      int64_t current = slot.load(std::memory_order_relaxed);
      for (;;) {
        if (current != kNone) {
          const EdgeKey held = key_of(current);
          if (!(key.before(held) || (!held.before(key) && e < current))) return;
        }
        if (slot.compare_exchange_weak(current, e, std::memory_order_relaxed)) return;
      }
    };
#pragma omp parallel for schedule(dynamic, 1024)
    for (int64_t i = 0; i < n; ++i) {
      if (!active[static_cast<size_t>(i)]) continue;
      const int64_t ci = component[static_cast<size_t>(i)];
      bool outside = false;
      for (int j = 0; j < k; ++j) {
        const int64_t e = i * k + j;
        const int64_t other = graph.neighbors[static_cast<size_t>(e)];
        if (other < 0) continue;
        const int64_t co = component[static_cast<size_t>(other)];
        if (co == ci) continue;
        const EdgeKey key = key_of(e);
        if (!std::isfinite(key.weight)) continue;
        outside = true;
        offer(ci, e, key);
        offer(co, e, key);
      }
      if (!outside) active[static_cast<size_t>(i)] = 0;
    }
    bool merged = false;
    for (int64_t c = 0; c < n; ++c) {
      const int64_t e = best[static_cast<size_t>(c)].load(std::memory_order_relaxed);
      if (e == kNone) continue;
      const EdgeKey key = key_of(e);
      if (sets.unite(key.lo, key.hi)) {
        taken.push_back(key);
        merged = true;
      }
    }
    if (!merged) break;
    for (int64_t i = 0; i < n; ++i) component[static_cast<size_t>(i)] = sets.find(i);
  }

  std::sort(taken.begin(), taken.end(),
            [](const EdgeKey& a, const EdgeKey& b) { return a.before(b); });
  SpanningForest forest;
  forest.from.reserve(taken.size());
  forest.to.reserve(taken.size());
  forest.weight.reserve(taken.size());
  for (const EdgeKey& key : taken) {
    forest.from.push_back(key.lo);
    forest.to.push_back(key.hi);
    forest.weight.push_back(key.weight);
  }
  return forest;
}

}  // namespace unfriend
