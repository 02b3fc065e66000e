// The density hierarchy: the spanning forest on every backend against a naive Kruskal written
// here, the condensed tree on a hand-worked forest, and the coordination test and selection on
// planted groups (a tight group alike in every feature inside a loose population is found; a
// group alike in one feature only is not).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/mutual_reachability.h"
#include "host/core/progress.h"
#include "host/cpu/cpu_knn.h"
#include "host/pipeline/alikeness.h"
#include "host/pipeline/cluster_selection.h"
#include "host/pipeline/density.h"
#include "host/pipeline/hierarchy.h"
#include "tests/backend_case.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// A random kNN-shaped graph: each row lists k distinct other rows (some padding), distances
// drawn from a few values so that ties occur, sorted per row as the sweep's are.
struct RandomGraph {
  KnnGraph graph;
  std::vector<float> distances, core;
};

RandomGraph random_graph(int64_t n, int k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  RandomGraph g;
  g.graph.rows = n;
  g.graph.k = k;
  g.graph.neighbors.assign(size_t(n * k), -1);
  g.graph.similarity.assign(size_t(n * k), -kInf);
  g.distances.assign(size_t(n * k), kInf);
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  std::uniform_int_distribution<int> level(1, 20);
  for (int64_t i = 0; i < n; ++i) {
    const int listed = std::min<int64_t>(k, n - 1) - (i % 7 == 0 ? 1 : 0);
    std::vector<std::pair<float, int64_t>> row;
    while (int(row.size()) < listed) {
      const int64_t j = pick(rng);
      if (j == i || std::any_of(row.begin(), row.end(), [&](auto& e) { return e.second == j; }))
        continue;
      row.push_back({0.05f * level(rng), j});
    }
    std::sort(row.begin(), row.end());
    for (size_t j = 0; j < row.size(); ++j) {
      g.graph.neighbors[size_t(i * k) + j] = row[j].second;
      g.distances[size_t(i * k) + j] = row[j].first;
      g.graph.similarity[size_t(i * k) + j] = 1 - row[j].first;
    }
  }
  g.core.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i)
    g.core[size_t(i)] = g.distances[size_t(i * k + std::min(2, k - 1))];
  if (n > 3) g.core[3] = kInf;  // a row without a core distance joins nothing
  return g;
}

// Kruskal over every listed entry in forest order: the reference forest.
SpanningForest naive_forest(const RandomGraph& g) {
  struct E {
    float w;
    int64_t lo, hi;
  };
  std::vector<E> edges;
  const int k = g.graph.k;
  for (int64_t i = 0; i < g.graph.rows; ++i) {
    for (int j = 0; j < k; ++j) {
      const int64_t o = g.graph.neighbors[size_t(i * k + j)];
      if (o < 0) continue;
      const float w =
          mutual_reachability(g.distances[size_t(i * k + j)], g.core[size_t(i)], g.core[size_t(o)]);
      if (std::isfinite(w)) edges.push_back({w, std::min(i, o), std::max(i, o)});
    }
  }
  std::sort(edges.begin(), edges.end(), [](const E& a, const E& b) {
    return forest_edge_before(a.w, a.lo, a.hi, b.w, b.lo, b.hi);
  });
  std::vector<int64_t> parent(size_t(g.graph.rows));
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](int64_t x) {
    while (parent[size_t(x)] != x) x = parent[size_t(x)] = parent[size_t(parent[size_t(x)])];
    return x;
  };
  SpanningForest f;
  for (const E& e : edges) {
    const int64_t a = find(e.lo), b = find(e.hi);
    if (a == b) continue;
    parent[size_t(std::max(a, b))] = std::min(a, b);
    f.from.push_back(e.lo);
    f.to.push_back(e.hi);
    f.weight.push_back(e.w);
  }
  return f;
}

class ForestTest : public test::BackendCase {};

TEST_P(ForestTest, MatchesNaiveKruskalOnAwkwardSizes) {
  for (int64_t n : {1, 2, 5, 97, 1000, 4099}) {
    for (int k : {1, 3, 10}) {
      const RandomGraph g = random_graph(n, k, uint64_t(n * 31 + k));
      const SpanningForest want = naive_forest(g);
      const SpanningForest got = backend_->spanning_forest(g.graph, g.distances, g.core);
      ASSERT_EQ(got.size(), want.size()) << "n=" << n << " k=" << k;
      EXPECT_EQ(got.from, want.from) << "n=" << n << " k=" << k;
      EXPECT_EQ(got.to, want.to) << "n=" << n << " k=" << k;
      EXPECT_EQ(got.weight, want.weight) << "n=" << n << " k=" << k;
    }
  }
}

TEST_P(ForestTest, RejectsMalformedInput) {
  RandomGraph g = random_graph(20, 3, 1);
  std::vector<float> short_core(g.core.begin(), g.core.end() - 1);
  EXPECT_THROW(backend_->spanning_forest(g.graph, g.distances, short_core), InputError);
  g.graph.neighbors[7] = 20;
  try {
    backend_->spanning_forest(g.graph, g.distances, g.core);
    FAIL() << "an out-of-range neighbour was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "kNN graph row 2 lists neighbour 20 but has only 20 rows");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ForestTest, ::testing::Values("cpu", "cuda"),
                         [](const auto& info) { return info.param; });

// bench/gpu-check.sh sets UNFRIEND_REQUIRE_GPU=1: a GPU case that cannot run must then fail,
// not skip. Checked on a machine without a GPU by running this binary's own CUDA case.
TEST(RequireGpu, ACudaCaseThatCannotRunFailsInsteadOfSkipping) {
  try {
    make_backend(BackendKind::cuda, BackendOptions{});
    GTEST_SKIP() << "a usable GPU is present: the CUDA case runs";
  } catch (const InputError&) {
  }
  const test::CommandResult r =
      test::run_command("UNFRIEND_REQUIRE_GPU=1 /proc/" + std::to_string(::getpid()) +
                        "/exe --gtest_filter=Backends/ForestTest.RejectsMalformedInput/cuda");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("UNFRIEND_REQUIRE_GPU=1 but the GPU case cannot run"), std::string::npos)
      << r.out;
  const test::CommandResult plain =
      test::run_command("env -u UNFRIEND_REQUIRE_GPU /proc/" + std::to_string(::getpid()) +
                        "/exe --gtest_filter=Backends/ForestTest.RejectsMalformedInput/cuda");
  EXPECT_EQ(plain.exit_code, 0) << plain.out;
  EXPECT_NE(plain.out.find("SKIPPED"), std::string::npos) << plain.out;
}

// Two groups of three rows (0-2 at distance 1, 3-5 at distance 1) joined at distance 4, and a
// straggler (6) at distance 8; a separate pair (7, 8). min_cluster_size 3.
TEST(CondensedTree, HandWorkedForest) {
  SpanningForest f;
  auto edge = [&](int64_t a, int64_t b, float w) {
    f.from.push_back(a);
    f.to.push_back(b);
    f.weight.push_back(w);
  };
  edge(0, 1, 1);
  edge(1, 2, 1);
  edge(3, 4, 1);
  edge(4, 5, 1);
  edge(7, 8, 2);
  edge(2, 3, 4);
  edge(5, 6, 8);
  const CondensedTree t = condense_forest(f, 9, 3, 1e-9);
  ASSERT_EQ(t.clusters(), 3);
  EXPECT_EQ(t.parent, (std::vector<int64_t>{-1, 0, 0}));
  EXPECT_EQ(t.size, (std::vector<int64_t>{7, 3, 3}));
  EXPECT_DOUBLE_EQ(t.birth_level[0], -std::log(8.0));
  EXPECT_DOUBLE_EQ(t.death_level[0], -std::log(4.0));
  EXPECT_DOUBLE_EQ(t.birth_level[1], -std::log(4.0));
  EXPECT_DOUBLE_EQ(t.death_level[1], 0.0);  // -log(1): its rows part at distance 1
  // Row 6 leaves the root at distance 8; rows 0-2 leave cluster 1 and 3-5 cluster 2 at 1.
  EXPECT_EQ(t.point_cluster, (std::vector<int64_t>{1, 1, 1, 2, 2, 2, 0, -1, -1}));
  EXPECT_DOUBLE_EQ(t.point_level[6], -std::log(8.0));
  EXPECT_DOUBLE_EQ(t.point_level[0], 0.0);
  EXPECT_THROW(condense_forest(f, 9, 1, 1e-9), InputError);
  SpanningForest unsorted = f;
  std::swap(unsorted.weight[0], unsorted.weight[6]);
  EXPECT_THROW(condense_forest(unsorted, 9, 3, 1e-9), InputError);
}

// A loose genuine population (D features, all independent), a network of 60 rows alike in
// every feature, and a community of 60 rows alike in one feature only.
struct World {
  Matrix features;
  std::vector<int> kind;  // 0 genuine, 1 network, 2 community
};

World planted_world(int64_t genuine, int64_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  World w;
  const int64_t n = genuine + 120;
  w.features = Matrix(n, cols);
  w.kind.assign(size_t(n), 0);
  std::vector<double> centre(static_cast<size_t>(cols));
  for (auto& c : centre) c = normal(rng);
  for (int64_t i = 0; i < n; ++i) {
    const int kind = i < genuine ? 0 : i < genuine + 60 ? 1 : 2;
    w.kind[size_t(i)] = kind;
    for (int64_t f = 0; f < cols; ++f) {
      double x = normal(rng);
      if (kind == 1) x = centre[size_t(f)] + 0.05 * normal(rng);
      if (kind == 2 && f == 0) x = 3 + 0.05 * normal(rng);
      w.features.row(i)[f] = float(x);
    }
  }
  // Unit rows, as the sweep's cosine preprocessing leaves them.
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t f = 0; f < cols; ++f) s += double(w.features.row(i)[f]) * w.features.row(i)[f];
    for (int64_t f = 0; f < cols; ++f)
      w.features.row(i)[f] = float(w.features.row(i)[f] / std::sqrt(s));
  }
  return w;
}

TEST(ClusterSelection, FindsTheNetworkNotTheCommunity) {
  set_quiet(true);
  const World w = planted_world(6000, 12, 5);
  KnnParams params;
  params.k = 16;
  params.mode = KnnMode::exact;
  const KnnGraph graph = cpu_knn_graph(w.features.view(), params, nullptr);
  const std::vector<float> distances = edge_distances(graph, Metric::cosine, {});
  std::vector<float> core(size_t(graph.rows));
  for (int64_t i = 0; i < graph.rows; ++i) core[size_t(i)] = distances[size_t(i * graph.k + 7)];
  auto backend = make_backend(BackendKind::cpu, BackendOptions{});
  const SpanningForest forest = backend->spanning_forest(graph, distances, core);
  EXPECT_EQ(forest.size(), size_t(graph.rows - 1));  // this graph is connected
  const CondensedTree tree = condense_forest(forest, graph.rows, 9, 1e-9);
  AlikenessOptions options;
  options.samples = 100;
  // As the sweep grows it: level sets from the density peaks above drawn accounts.
  const AlikenessModel null_model = fit_alikeness(w.features.view(), graph, options, {}, core);
  ASSERT_FALSE(null_model.sizes.empty());
  ASSERT_FALSE(null_model.tightness_median.empty());
  const ClusterSelection selection =
      select_clusters(tree, w.features.view(), null_model, CoordinationTest{});
  int64_t network = 0, community = 0, genuine = 0;
  for (int64_t i = 0; i < graph.rows; ++i) {
    if (selection.label[size_t(i)] < 0) continue;
    (w.kind[size_t(i)] == 1 ? network : w.kind[size_t(i)] == 2 ? community : genuine)++;
  }
  EXPECT_GE(network, 57);
  EXPECT_EQ(community, 0);
  // The largest remaining set that passes keeps the genuine rows nearest the network (55 of
  // 6,000 here, on a sphere of uniform genuine rows): the method's known weakness
  // (bench/results/quality.md). This bound keeps it from growing unnoticed.
  EXPECT_LE(genuine, 60);
  ASSERT_FALSE(selection.clusters.empty());
  const SelectedCluster& found = selection.clusters[size_t(selection.label[6000])];
  EXPECT_GE(found.breadth, 0.9);
  EXPECT_GE(found.alike_features.size(), 11u);
  // Determinism: the same input gives the same selection.
  const ClusterSelection again =
      select_clusters(tree, w.features.view(), null_model, CoordinationTest{});
  EXPECT_EQ(again.label, selection.label);
}

TEST(Alikeness, BreadthCountsOnlyFeaturesMoreAlikeThanOrdinaryNeighbourhoods) {
  set_quiet(true);
  const World w = planted_world(3000, 8, 9);
  KnnParams params;
  params.k = 16;
  params.mode = KnnMode::exact;
  const KnnGraph graph = cpu_knn_graph(w.features.view(), params, nullptr);
  AlikenessOptions options;
  options.samples = 60;
  const AlikenessModel model = fit_alikeness(w.features.view(), graph, options);
  EXPECT_EQ(model.informative_features, 8);
  FeatureMoments network(8), community(8), genuine(8);
  for (int64_t i = 0; i < w.features.rows; ++i) {
    (w.kind[size_t(i)] == 1   ? network
     : w.kind[size_t(i)] == 2 ? community
                              : genuine)
        .add(w.features.row(i));
  }
  std::vector<int32_t> alike;
  EXPECT_DOUBLE_EQ(model.breadth(network, &alike), 1.0);
  EXPECT_EQ(alike.size(), 8u);
  EXPECT_LE(model.breadth(community), 0.25);
  EXPECT_DOUBLE_EQ(model.breadth(genuine), 0.0);
  // Same seed, same model.
  const AlikenessModel again = fit_alikeness(w.features.view(), graph, options);
  EXPECT_EQ(again.statistic_median, model.statistic_median);
  EXPECT_EQ(again.statistic_spread, model.statistic_spread);
}

}  // namespace
}  // namespace unfriend
