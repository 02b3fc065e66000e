// Union-find and the thresholded kNN components on hand-made graphs, plus random graphs checked
// against a breadth-first search written here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <queue>
#include <random>
#include <utility>
#include <vector>

#include "host/core/error.h"
#include "host/core/knn_graph.h"
#include "host/core/union_find.h"
#include "host/cpu/components.h"
#include "host/cpu/cpu_backend.h"

namespace unfriend {
namespace {

using Edge = std::pair<int64_t, float>;  // (neighbour, similarity)

/// A graph whose row i lists lists[i] (padded with -1 / -inf up to k).
KnnGraph make_graph(const std::vector<std::vector<Edge>>& lists, int k) {
  KnnGraph graph;
  graph.rows = int64_t(lists.size());
  graph.k = k;
  graph.neighbors.assign(lists.size() * size_t(k), -1);
  graph.similarity.assign(lists.size() * size_t(k), -std::numeric_limits<float>::infinity());
  for (size_t i = 0; i < lists.size(); ++i) {
    for (size_t j = 0; j < lists[i].size(); ++j) {
      graph.neighbors[i * size_t(k) + j] = lists[i][j].first;
      graph.similarity[i * size_t(k) + j] = lists[i][j].second;
    }
  }
  return graph;
}

/// Components by BFS over the symmetrised thresholded graph: label = smallest index reached.
std::vector<int64_t> bfs_components(const KnnGraph& graph, float threshold,
                                    const std::vector<uint8_t>& include) {
  const int64_t n = graph.rows;
  auto in = [&](int64_t i) { return include.empty() || include[size_t(i)]; };
  std::vector<std::vector<int64_t>> adjacent(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < graph.k; ++j) {
      int64_t o = graph.neighbors_of(i)[j];
      if (o < 0 || !(graph.similarity_of(i)[j] >= threshold) || !in(i) || !in(o)) continue;
      adjacent[size_t(i)].push_back(o);
      adjacent[size_t(o)].push_back(i);
    }
  }
  std::vector<int64_t> label(static_cast<size_t>(n), -2);
  for (int64_t start = 0; start < n; ++start) {
    if (!in(start)) {
      label[size_t(start)] = -1;
      continue;
    }
    if (label[size_t(start)] != -2) continue;
    // Ascending start order: the first unvisited vertex is its component's smallest index.
    std::queue<int64_t> todo;
    todo.push(start);
    label[size_t(start)] = start;
    while (!todo.empty()) {
      int64_t v = todo.front();
      todo.pop();
      for (int64_t w : adjacent[size_t(v)]) {
        if (label[size_t(w)] == -2) {
          label[size_t(w)] = start;
          todo.push(w);
        }
      }
    }
  }
  return label;
}

// ---- union-find -------------------------------------------------------------------------------

TEST(UnionFind, StartsAsSingletons) {
  UnionFind sets(5);
  EXPECT_EQ(sets.size(), 5);
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(sets.find(i), i);
  EXPECT_EQ(sets.labels(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(UnionFind(0).labels().empty());
}

TEST(UnionFind, RootIsTheSmallestMemberWhateverTheUnionOrder) {
  UnionFind sets(10);
  EXPECT_TRUE(sets.unite(9, 8));
  EXPECT_TRUE(sets.unite(7, 9));
  EXPECT_TRUE(sets.unite(5, 6));
  EXPECT_FALSE(sets.unite(8, 7));  // already joined
  EXPECT_EQ(sets.find(9), 7);
  EXPECT_TRUE(sets.unite(6, 8));
  EXPECT_EQ(sets.find(9), 5);
  EXPECT_TRUE(sets.unite(9, 2));
  EXPECT_EQ(sets.labels(), (std::vector<int64_t>{0, 1, 2, 3, 4, 2, 2, 2, 2, 2}));
}

TEST(UnionFind, LongChainsStayCorrect) {
  // Unite from the top down: the worst order for union by index without path shortening.
  const int64_t n = 200003;
  UnionFind sets(n);
  for (int64_t i = n - 1; i > 0; --i) sets.unite(i, i - 1);
  for (int64_t i = 0; i < n; i += 9973) EXPECT_EQ(sets.find(i), 0);
  std::vector<int64_t> labels = sets.labels();
  EXPECT_EQ(labels, std::vector<int64_t>(size_t(n), 0));
}

TEST(UnionFind, MatchesBfsOnRandomGraphs) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const int64_t n = 10007;
    std::mt19937_64 rng(seed);
    std::vector<std::vector<Edge>> lists(static_cast<size_t>(n));
    UnionFind sets(n);
    for (int e = 0; e < 6000; ++e) {
      int64_t a = int64_t(rng() % n), b = int64_t(rng() % n);
      lists[size_t(a)].push_back({b, 1.0f});
      sets.unite(a, b);
    }
    size_t k = 0;
    for (const auto& l : lists) k = std::max(k, l.size());
    KnnGraph graph = make_graph(lists, int(std::max<size_t>(k, 1)));
    EXPECT_EQ(sets.labels(), bfs_components(graph, 0.0f, {})) << "seed " << seed;
  }
}

// ---- threshold_components on hand-made graphs -------------------------------------------------

TEST(ThresholdComponents, ChainJoinsEverything) {
  // 0 -> 1 -> 2 -> 3 -> 4, each edge listed once.
  KnnGraph graph = make_graph({{{1, 0.9f}}, {{2, 0.9f}}, {{3, 0.9f}}, {{4, 0.9f}}, {}}, 1);
  EXPECT_EQ(cpu_threshold_components(graph, 0.5f, {}), (std::vector<int64_t>(5, 0)));
}

TEST(ThresholdComponents, StarThroughALateCentre) {
  // Leaves 0..8 point at centre 9 and 10 is isolated.
  std::vector<std::vector<Edge>> lists(11);
  for (int64_t leaf = 0; leaf < 9; ++leaf) lists[size_t(leaf)] = {{9, 0.8f}};
  KnnGraph graph = make_graph(lists, 2);
  std::vector<int64_t> want(11, 0);
  want[10] = 10;
  EXPECT_EQ(cpu_threshold_components(graph, 0.8f, {}), want);
}

TEST(ThresholdComponents, TwoComponentsAndAnIsolatedVertex) {
  // {0, 2, 4} and {1, 3}; 5 has neighbours but all below the threshold.
  KnnGraph graph = make_graph({{{2, 0.95f}, {4, 0.91f}},
                               {{3, 0.99f}},
                               {{0, 0.95f}},
                               {{1, 0.99f}},
                               {{2, 0.90f}},
                               {{0, 0.2f}, {1, 0.1f}}},
                              2);
  EXPECT_EQ(cpu_threshold_components(graph, 0.9f, {}), (std::vector<int64_t>{0, 1, 0, 1, 0, 5}));
}

TEST(ThresholdComponents, ThresholdExcludesWeakEdgesAndKeepsEqualOnes) {
  KnnGraph graph = make_graph({{{1, 0.7f}, {2, 0.5f}}, {{0, 0.7f}}, {{3, 0.6f}}, {}}, 2);
  EXPECT_EQ(cpu_threshold_components(graph, 0.7f, {}), (std::vector<int64_t>{0, 0, 2, 3}));
  EXPECT_EQ(cpu_threshold_components(graph, 0.6f, {}), (std::vector<int64_t>{0, 0, 2, 2}));
  EXPECT_EQ(cpu_threshold_components(graph, 0.5f, {}), (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(cpu_threshold_components(graph, 0.71f, {}), (std::vector<int64_t>{0, 1, 2, 3}));
  // l2 similarities are negative: a threshold of -inf keeps every real edge.
  EXPECT_EQ(cpu_threshold_components(graph, -std::numeric_limits<float>::infinity(), {}),
            (std::vector<int64_t>{0, 0, 0, 0}));
}

TEST(ThresholdComponents, IncludeMaskCutsAtAnExcludedBridge) {
  // 0 - 1 - 2 - 3 - 4 with 2 as the only bridge; excluding 2 splits the chain.
  KnnGraph graph =
      make_graph({{{1, 1.f}}, {{2, 1.f}}, {{1, 1.f}, {3, 1.f}}, {{4, 1.f}}, {{3, 1.f}}}, 2);
  EXPECT_EQ(cpu_threshold_components(graph, 0.5f, {1, 1, 0, 1, 1}),
            (std::vector<int64_t>{0, 0, -1, 3, 3}));
  EXPECT_EQ(cpu_threshold_components(graph, 0.5f, {0, 1, 1, 1, 1}),
            (std::vector<int64_t>{-1, 1, 1, 1, 1}));
  EXPECT_EQ(cpu_threshold_components(graph, 0.5f, {0, 0, 0, 0, 0}), (std::vector<int64_t>(5, -1)));
}

TEST(ThresholdComponents, EdgeListedInOneDirectionStillJoins) {
  // Only row 7 lists 3; 3 lists someone else. An excluded row's edges join nothing.
  std::vector<std::vector<Edge>> lists(8);
  lists[7] = {{3, 0.9f}};
  lists[3] = {{5, 0.1f}};
  lists[6] = {{1, 0.9f}};
  KnnGraph graph = make_graph(lists, 1);
  std::vector<int64_t> labels = cpu_threshold_components(graph, 0.5f, {});
  EXPECT_EQ(labels, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 1, 3}));
  std::vector<uint8_t> include(8, 1);
  include[6] = 0;
  labels = cpu_threshold_components(graph, 0.5f, include);
  EXPECT_EQ(labels, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, -1, 3}));
}

TEST(ThresholdComponents, PaddingAndNanAreNotEdges) {
  KnnGraph graph = make_graph({{{1, std::numeric_limits<float>::quiet_NaN()}}, {}, {}}, 3);
  EXPECT_EQ(cpu_threshold_components(graph, -std::numeric_limits<float>::infinity(), {}),
            (std::vector<int64_t>{0, 1, 2}));
  KnnGraph empty = make_graph({}, 4);
  EXPECT_TRUE(cpu_threshold_components(empty, 0.f, {}).empty());
}

TEST(ThresholdComponents, BadInputIsAnInputError) {
  KnnGraph graph = make_graph({{{1, 1.f}}, {{0, 1.f}}}, 1);
  EXPECT_THROW(cpu_threshold_components(graph, 0.5f, {1, 1, 1}), InputError);
  KnnGraph out_of_range = make_graph({{{2, 1.f}}, {}}, 1);
  EXPECT_THROW(cpu_threshold_components(out_of_range, 0.5f, {}), InputError);
  KnnGraph short_lists = graph;
  short_lists.similarity.pop_back();
  EXPECT_THROW(cpu_threshold_components(short_lists, 0.5f, {}), InputError);
}

TEST(ThresholdComponents, RandomGraphsMatchBfsAndTheBackend) {
  auto backend = make_cpu_backend({});
  for (uint64_t seed : {11u, 12u, 13u, 14u}) {
    std::mt19937_64 rng(seed);
    const int64_t n = 1000 + int64_t(seed) * 777;
    const int k = 1 + int(seed % 5);
    KnnGraph graph;
    graph.rows = n;
    graph.k = k;
    std::uniform_real_distribution<float> unit(0.f, 1.f);
    for (int64_t i = 0; i < n * k; ++i) {
      // Mostly random neighbours, some padding, similarities spread over [0, 1).
      graph.neighbors.push_back(rng() % 10 == 0 ? -1 : int64_t(rng() % uint64_t(n)));
      graph.similarity.push_back(unit(rng));
    }
    std::vector<uint8_t> include(static_cast<size_t>(n));
    for (auto& v : include) v = rng() % 4 != 0;
    for (float threshold : {0.f, 0.5f, 0.8f, 0.95f}) {
      for (const std::vector<uint8_t>& mask : {std::vector<uint8_t>{}, include}) {
        std::vector<int64_t> want = bfs_components(graph, threshold, mask);
        EXPECT_EQ(cpu_threshold_components(graph, threshold, mask), want)
            << "seed " << seed << " threshold " << threshold;
        EXPECT_EQ(backend->threshold_components(graph, threshold, mask), want);
      }
    }
  }
}

}  // namespace
}  // namespace unfriend
