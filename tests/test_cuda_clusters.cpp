// The CUDA backend's kNN-DBSCAN labelling, group statistics and spanning forest with the graph
// forced through many small tiles and a small budget, against the CPU reference; and the tile
// arithmetic, which runs without a GPU. (The one-tile cases run on every backend in test_backends.)
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cuda/cuda_backend.h"
#include "cuda/gpu_clusters.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/density_groups.h"
#include "host/cpu/spanning_forest.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

TEST(GraphTilePlan, WholeGraphWhenItFitsElseHalvedUntilItDoes) {
  CudaTuning tuning;
  const int64_t mib = 1 << 20;
  // 12 bytes per edge (neighbour and value): 1000 rows x k=10 is 120,000 bytes of tile (plus
  // alignment) besides 1 MiB fixed.
  EXPECT_EQ(gpu::plan_graph_tile_rows(1000, 10, mib, 2 * mib, tuning, "test"), 1000);
  const int64_t tight = gpu::plan_graph_tile_rows(1000000, 10, mib, 4 * mib, tuning, "test");
  EXPECT_LT(tight, 1000000);
  EXPECT_GE(tight, 1);
  EXPECT_LE(mib + tight * 120, 4 * mib);
  // The next larger step would not have fitted.
  EXPECT_GT(mib + (2 * tight) * 120, 4 * mib - 2 * 256);
  tuning.edge_tile_rows = 301;
  EXPECT_EQ(gpu::plan_graph_tile_rows(1000, 10, mib, 2 * mib, tuning, "test"), 301);
  try {
    gpu::plan_graph_tile_rows(1000, 10, 4 * mib, 2 * mib, tuning, "group statistics");
    FAIL() << "a fixed part larger than the budget was accepted";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("too small for the group statistics"), std::string::npos)
        << e.what();
  }
}

TEST(CudaClusters, ManyTilesGiveTheCpuReference) {
  std::string reason;
  if (!cuda_device_usable(0, &reason)) UNFRIEND_SKIP_GPU_CASE("no usable GPU: " + reason);
  set_quiet(true);
  // A random graph with padding, sorted rows and labels from the density labelling.
  std::mt19937_64 rng(11);
  const int64_t rows = 20011;
  KnnGraph graph;
  graph.rows = rows;
  graph.k = 9;
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  std::vector<float> distances;
  for (int64_t i = 0; i < rows; ++i) {
    // Neighbours mostly nearby rows, so that clusters span tile boundaries.
    std::vector<float> d(size_t(graph.k));
    for (auto& x : d) x = unit(rng);
    std::sort(d.begin(), d.end());
    for (int j = 0; j < graph.k; ++j) {
      const int64_t other = rng() % 11 == 0 ? -1 : (i + 1 + int64_t(rng() % 500)) % rows;
      graph.neighbors.push_back(other);
      graph.similarity.push_back(1.f - d[size_t(j)]);
      distances.push_back(other < 0 ? std::numeric_limits<float>::infinity() : d[size_t(j)]);
    }
  }
  std::vector<float> core_distance(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) core_distance[size_t(i)] = distances[size_t(i * graph.k + 4)];

  CudaTuning tuning;
  tuning.edge_tile_rows = 301;
  std::unique_ptr<Backend> backend = make_cuda_backend(BackendOptions(), tuning);
  // The spanning forest: Boruvka rounds over many tiles give the CPU's edges exactly.
  const SpanningForest forest_want = cpu_spanning_forest(graph, distances, core_distance);
  const SpanningForest forest_got = backend->spanning_forest(graph, distances, core_distance);
  EXPECT_EQ(forest_got.from, forest_want.from);
  EXPECT_EQ(forest_got.to, forest_want.to);
  EXPECT_EQ(forest_got.weight, forest_want.weight);
  for (double eps : {0.2, 0.45, 0.7}) {
    const DensityLabels want = cpu_density_labels(graph, distances, core_distance, eps);
    const DensityLabels got = backend->density_labels(graph, distances, core_distance, eps);
    EXPECT_EQ(got.core, want.core) << "eps " << eps;
    EXPECT_EQ(got.label, want.label) << "eps " << eps;
    GroupStatsOptions options;
    options.min_size = 3;
    options.core_distance = core_distance;
    options.core = want.core;
    options.surround = true;
    const GroupTable expected = cpu_group_statistics(graph, want.label, options);
    const GroupTable table = backend->group_statistics(graph, want.label, options);
    ASSERT_EQ(table.groups, expected.groups);
    ASSERT_EQ(table.kept.size(), expected.kept.size());
    for (size_t g = 0; g < table.kept.size(); ++g) {
      const GroupStats& x = table.kept[g];
      const GroupStats& y = expected.kept[g];
      EXPECT_EQ(x.label, y.label);
      EXPECT_EQ(x.size, y.size);
      EXPECT_EQ(x.first_row, y.first_row);
      EXPECT_EQ(x.core_size, y.core_size);
      EXPECT_EQ(x.inside_edges, y.inside_edges);
      EXPECT_NEAR(x.inside_similarity_sum, y.inside_similarity_sum,
                  1e-12 * std::max(1.0, y.inside_similarity_sum));
      EXPECT_EQ(x.internal_median, y.internal_median);
      EXPECT_EQ(x.surround_rows, y.surround_rows);
      if (y.surround_rows > 0) EXPECT_EQ(x.surround_median, y.surround_median);
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace unfriend
