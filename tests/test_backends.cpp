// Every backend against the same references: exact kNN against a naive double-precision brute
// force written here, components against the CPU union-find. A backend that cannot be created
// here (no GPU, or built without CUDA) is skipped with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/knn_graph.h"
#include "host/core/progress.h"
#include "host/cpu/components.h"
#include "host/cpu/cpu_backend.h"
#include "host/cpu/density_groups.h"
#include "tests/backend_case.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

std::vector<float> make_data(int64_t rows, int64_t cols, uint64_t seed, Metric metric) {
  std::vector<float> values = test::random_normal(rows, cols, seed);
  if (metric == Metric::cosine) {
    for (int64_t r = 0; r < rows; ++r) {
      double norm = 0;
      for (int64_t c = 0; c < cols; ++c)
        norm += double(values[r * cols + c]) * values[r * cols + c];
      norm = std::sqrt(norm);
      for (int64_t c = 0; c < cols; ++c) values[r * cols + c] = float(values[r * cols + c] / norm);
    }
  }
  return values;
}

double naive_similarity(const float* a, const float* b, int64_t cols, Metric metric) {
  // Double accumulation in four independent sums: still exact to ~1e-15, and four times
  // faster than one serial chain, which matters over 4099^2 pairs.
  double sum[4] = {0, 0, 0, 0};
  for (int64_t d = 0; d < cols; ++d) {
    double term;
    if (metric == Metric::l2) {
      double diff = double(a[d]) - double(b[d]);
      term = diff * diff;
    } else {
      term = double(a[d]) * double(b[d]);
    }
    sum[d & 3] += term;
  }
  const double total = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  return metric == Metric::l2 ? -total : total;
}

class BackendTest : public test::BackendCase {
 protected:
  void SetUp() override {
    test::BackendCase::SetUp();
    // The CPU rescored in double: float rounding only. A GPU may round inputs to fp16.
    tol_ = GetParam() == "cpu" ? 1e-5 : 2e-3;
  }

  KnnGraph exact_knn(const std::vector<float>& values, int64_t cols, int k, Metric metric) {
    KnnParams params;
    params.k = k;
    params.metric = metric;
    params.mode = KnnMode::exact;
    return backend_->knn_graph(MatrixView{values.data(), int64_t(values.size()) / cols, cols},
                               params, nullptr);
  }

  /// Checks graphs of the same data (one per k) against brute force, computed once per row.
  /// Tolerances scale with the size of the numbers a similarity is made of (|a||b| for dot
  /// products, |a|^2+|b|^2 for squared distances), as fp16 rounding does; 1 for cosine rows.
  void expect_exact(const std::vector<KnnGraph>& graphs, const std::vector<float>& values,
                    int64_t cols, Metric metric, const std::string& what) {
    const int64_t rows = int64_t(values.size()) / cols;
    int most = 0;
    for (const KnnGraph& got : graphs) {
      ASSERT_EQ(got.rows, rows) << what;
      ASSERT_EQ(got.neighbors.size(), size_t(rows * got.k)) << what;
      ASSERT_EQ(got.similarity.size(), size_t(rows * got.k)) << what;
      most = std::max(most, int(std::min<int64_t>(got.k, rows - 1)));
    }
    std::vector<double> norm(static_cast<size_t>(rows));
    double max_norm = 0;
    for (int64_t r = 0; r < rows; ++r) {
      norm[size_t(r)] = std::sqrt(
          naive_similarity(&values[r * cols], &values[r * cols], cols, Metric::inner_product));
      max_norm = std::max(max_norm, norm[size_t(r)]);
    }
    std::vector<std::pair<double, int64_t>> all;
    int failures = 0;
    for (int64_t r = 0; r < rows && failures < 5; ++r) {
      const double scale = metric == Metric::l2
                               ? norm[size_t(r)] * norm[size_t(r)] + max_norm * max_norm
                               : norm[size_t(r)] * max_norm;
      const double slack = tol_ * std::max(1.0, scale);
      all.clear();
      for (int64_t j = 0; j < rows; ++j) {
        if (j != r) {
          all.emplace_back(naive_similarity(&values[r * cols], &values[j * cols], cols, metric), j);
        }
      }
      std::partial_sort(all.begin(), all.begin() + most, all.end(),
                        [](const auto& a, const auto& b) {
                          return a.first != b.first ? a.first > b.first : a.second < b.second;
                        });
      for (const KnnGraph& got : graphs) {
        std::string problem = check_row(got, r, all, values, cols, metric, slack);
        if (!problem.empty()) {
          ADD_FAILURE() << what << " k=" << got.k << ": " << problem;
          ++failures;
        }
      }
    }
  }

  /// One row of `got` against the sorted brute-force list `all` of that row; "" when right.
  std::string check_row(const KnnGraph& got, int64_t r,
                        const std::vector<std::pair<double, int64_t>>& all,
                        const std::vector<float>& values, int64_t cols, Metric metric,
                        double slack) {
    const int k = got.k;
    const int valid = int(std::min<int64_t>(k, got.rows - 1));
    const int64_t* nb = got.neighbors_of(r);
    const float* sim = got.similarity_of(r);
    std::set<int64_t> seen;
    const double kth = valid > 0 ? all[size_t(valid - 1)].first : 0;
    for (int j = 0; j < k; ++j) {
      const std::string at = "row " + std::to_string(r) + " slot " + std::to_string(j);
      if (j >= valid) {
        if (nb[j] != -1 || sim[j] != -std::numeric_limits<float>::infinity()) {
          return at + ": expected padding";
        }
        continue;
      }
      if (nb[j] < 0 || nb[j] >= got.rows) return at + ": bad index " + std::to_string(nb[j]);
      if (nb[j] == r) return at + ": the row itself";
      if (!seen.insert(nb[j]).second) return at + ": repeated neighbour";
      if (std::fabs(sim[j] - all[size_t(j)].first) > slack) {
        return at + ": similarity " + std::to_string(sim[j]) + ", reference " +
               std::to_string(all[size_t(j)].first);
      }
      const double truth = naive_similarity(&values[r * cols], &values[nb[j] * cols], cols, metric);
      if (std::fabs(sim[j] - truth) > slack) {
        return at + ": similarity does not belong to neighbour " + std::to_string(nb[j]);
      }
      if (j > 0 && (sim[j] > sim[j - 1] || (sim[j] == sim[j - 1] && nb[j] < nb[j - 1]))) {
        return at + ": not in canonical order";
      }
      if (sim[j] < kth - slack) {
        return at + ": neighbour " + std::to_string(nb[j]) + " is below the k-th";
      }
    }
    // Every reference neighbour clearly above the k-th must be there.
    for (int j = 0; j < valid; ++j) {
      if (all[size_t(j)].first > kth + slack && !seen.count(all[size_t(j)].second)) {
        return "row " + std::to_string(r) + ": misses neighbour " +
               std::to_string(all[size_t(j)].second);
      }
    }
    return "";
  }

  double tol_ = 1e-5;
};

const Metric kMetrics[] = {Metric::cosine, Metric::inner_product, Metric::l2};

TEST_P(BackendTest, SaysHowItWillSearchForTheMemoryPlan) {
  KnnParams params;
  params.mode = KnnMode::automatic;
  params.auto_exact_max_rows = 5000;
  const KnnFootprint small = backend_->knn_footprint(1000, 16, params);
  const KnnFootprint big = backend_->knn_footprint(100000, 16, params);
  EXPECT_EQ(small.mode, KnnMode::exact);
  if (!big.on_device) {
    // Searched in host memory: the mode the automatic rule picks, no staging.
    EXPECT_EQ(big.mode, KnnMode::ivf);
    EXPECT_EQ(big.host_staging_bytes, 0.0);
  } else {
    // In device memory: exactly, with pinned host staging that grows with the rows up to a
    // query block.
    EXPECT_EQ(big.mode, KnnMode::exact);
    EXPECT_GT(big.host_staging_bytes, small.host_staging_bytes);
    EXPECT_GT(small.host_staging_bytes, 0.0);
  }
  EXPECT_EQ(big.on_device, small.on_device);
}

TEST_P(BackendTest, ExactKnnMatchesNaiveOnAwkwardSizes) {
  struct Case {
    int64_t rows, cols;
    std::vector<int> ks;
  };
  // Sizes that are multiples of no tile: rows 1, 2, 1000, 4099; dims 3, 13, 65; k >= rows.
  const std::vector<Case> cases = {
      {1, 3, {1, 4}},         {2, 13, {1, 2, 5}},  {1000, 3, {1, 32}}, {1000, 13, {5, 1000}},
      {1000, 65, {32, 1003}}, {4099, 13, {1, 32}}, {4099, 65, {32}}};
  for (const Case& c : cases) {
    for (Metric metric : kMetrics) {
      std::vector<float> values = make_data(c.rows, c.cols, uint64_t(c.rows * 31 + c.cols), metric);
      std::vector<KnnGraph> graphs;
      for (int k : c.ks) {
        graphs.push_back(exact_knn(values, c.cols, k, metric));
        EXPECT_EQ(graphs.back().k, k);
      }
      expect_exact(graphs, values, c.cols, metric,
                   GetParam() + " N=" + std::to_string(c.rows) + " D=" + std::to_string(c.cols) +
                       " " + to_string(metric));
    }
  }
}

// The neighbours of listed rows (the cohesion test's search): exact, the graph's rows of the
// CPU reference for those rows; partitioned, the same on a second call and mostly the same
// neighbours.
TEST_P(BackendTest, KnnOfRowsGivesTheExactRowsAndASeededPartitionedSearch) {
  const int64_t rows = 3001, cols = 13;
  for (Metric metric : kMetrics) {
    const std::vector<float> values = make_data(rows, cols, 77, metric);
    const MatrixView view{values.data(), rows, cols};
    const std::vector<int64_t> query_rows = {0, 5, 999, 1000, 3000, 17, 5};
    RowsKnnParams params;
    params.k = 8;
    params.metric = metric;
    params.query_block_rows = 3;  // chunks of queries give the same rows
    const KnnGraph got = backend_->knn_of_rows(view, query_rows, params);
    KnnParams graph_params;
    graph_params.k = 8;
    graph_params.metric = metric;
    graph_params.mode = KnnMode::exact;
    const KnnGraph whole = make_cpu_backend({})->knn_graph(view, graph_params, nullptr);
    ASSERT_EQ(got.rows, int64_t(query_rows.size()));
    ASSERT_EQ(got.k, 8);
    for (size_t q = 0; q < query_rows.size(); ++q) {
      for (int j = 0; j < 8; ++j) {
        EXPECT_EQ(got.neighbors[q * 8 + size_t(j)],
                  whole.neighbors[size_t(query_rows[q]) * 8 + size_t(j)])
            << GetParam() << " " << to_string(metric) << " query " << q << " slot " << j;
      }
    }
    params.mode = KnnMode::ivf;
    params.ivf_nlist = 55;
    params.ivf_nprobe = 8;
    params.seed = 9;
    const KnnGraph partitioned = backend_->knn_of_rows(view, query_rows, params);
    EXPECT_EQ(partitioned.neighbors, backend_->knn_of_rows(view, query_rows, params).neighbors);
    int64_t found = 0;
    for (size_t q = 0; q < query_rows.size(); ++q) {
      for (int j = 0; j < 8; ++j) {
        const int64_t* truth = whole.neighbors_of(query_rows[q]);
        found += std::count(truth, truth + 8, partitioned.neighbors[q * 8 + size_t(j)]);
      }
    }
    EXPECT_GE(found, int64_t(0.7 * 8 * query_rows.size()))
        << GetParam() << " " << to_string(metric);
    params.mode = KnnMode::hnsw;
    EXPECT_THROW(backend_->knn_of_rows(view, query_rows, params), InputError);
  }
}

TEST_P(BackendTest, DuplicatesAreFoundAndSelfNeverAppears) {
  const int64_t rows = 1000, cols = 13;
  const int k = 8;
  for (Metric metric : {Metric::cosine, Metric::l2}) {
    std::vector<float> values = make_data(rows, cols, 5, metric);
    // Row 17 copied 20 times (more than k) and row 400 copied twice.
    for (int64_t r = 600; r < 620; ++r) {
      std::copy(&values[17 * cols], &values[18 * cols], &values[r * cols]);
    }
    std::copy(&values[400 * cols], &values[401 * cols], &values[401 * cols]);
    std::copy(&values[400 * cols], &values[401 * cols], &values[999 * cols]);
    KnnGraph got = exact_knn(values, cols, k, metric);
    const float full = metric == Metric::cosine ? 1.0f : 0.0f;
    // A squared distance computed as |a|^2 + |b|^2 - 2ab carries rounding of |a|^2's size.
    auto slack = [&](int64_t r) {
      if (metric == Metric::cosine) return tol_;
      return tol_ * std::max(1.0, 2 * naive_similarity(&values[r * cols], &values[r * cols], cols,
                                                       Metric::inner_product));
    };
    for (int64_t r = 0; r < rows; ++r) {
      for (int j = 0; j < k; ++j) ASSERT_NE(got.neighbors_of(r)[j], r) << "row " << r;
    }
    std::set<int64_t> group = {17};
    for (int64_t r = 600; r < 620; ++r) group.insert(r);
    for (int64_t r : group) {
      for (int j = 0; j < k; ++j) {
        EXPECT_TRUE(group.count(got.neighbors_of(r)[j])) << "row " << r << " slot " << j;
        EXPECT_NEAR(got.similarity_of(r)[j], full, slack(r)) << "row " << r;
      }
    }
    for (int64_t r : {400, 401, 999}) {
      std::set<int64_t> want = {400, 401, 999};
      want.erase(r);
      std::set<int64_t> first(got.neighbors_of(r), got.neighbors_of(r) + 2);
      EXPECT_EQ(first, want) << "row " << r;
      EXPECT_NEAR(got.similarity_of(r)[0], full, slack(r));
      EXPECT_NEAR(got.similarity_of(r)[1], full, slack(r));
    }
    expect_exact({got}, values, cols, metric, GetParam() + " duplicates " + to_string(metric));
  }
}

TEST_P(BackendTest, OneRowHasOnlyPadding) {
  std::vector<float> values = {0.f, 1.f, 0.f};
  KnnGraph got = exact_knn(values, 3, 3, Metric::cosine);
  ASSERT_EQ(got.rows, 1);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(got.neighbors[size_t(j)], -1);
    EXPECT_EQ(got.similarity[size_t(j)], -std::numeric_limits<float>::infinity());
  }
}

TEST_P(BackendTest, ThresholdComponentsEqualTheCpuReference) {
  // Real kNN graphs of clustered data (components of many sizes) and random graphs with
  // padding, one-way edges and excluded rows.
  for (int64_t rows : {1, 2, 1000, 4099}) {
    const int64_t cols = 13;
    std::vector<float> values = make_data(rows, cols, uint64_t(rows), Metric::cosine);
    KnnGraph graph = exact_knn(values, cols, 6, Metric::cosine);
    std::mt19937_64 rng(uint64_t(rows) + 1);
    std::vector<uint8_t> include(static_cast<size_t>(rows));
    for (auto& v : include) v = rng() % 5 != 0;
    for (float threshold : {-1.f, 0.3f, 0.5f, 0.7f, 2.f}) {
      for (const std::vector<uint8_t>& mask : {std::vector<uint8_t>{}, include}) {
        EXPECT_EQ(backend_->threshold_components(graph, threshold, mask),
                  cpu_threshold_components(graph, threshold, mask))
            << GetParam() << " N=" << rows << " threshold " << threshold;
      }
    }
  }
  for (uint64_t seed : {1u, 2u}) {
    std::mt19937_64 rng(seed);
    const int64_t rows = 50021;
    KnnGraph graph;
    graph.rows = rows;
    graph.k = 7;
    std::uniform_real_distribution<float> unit(-1.f, 1.f);
    for (int64_t i = 0; i < rows * graph.k; ++i) {
      graph.neighbors.push_back(rng() % 13 == 0 ? -1 : int64_t(rng() % uint64_t(rows)));
      graph.similarity.push_back(unit(rng));
    }
    canonicalize_rows(graph);
    std::vector<uint8_t> include(static_cast<size_t>(rows));
    for (auto& v : include) v = rng() % 3 != 0;
    for (float threshold : {0.f, 0.6f, 0.9f}) {
      EXPECT_EQ(backend_->threshold_components(graph, threshold, include),
                cpu_threshold_components(graph, threshold, include))
          << GetParam() << " seed " << seed << " threshold " << threshold;
      EXPECT_EQ(backend_->threshold_components(graph, threshold, {}),
                cpu_threshold_components(graph, threshold, {}))
          << GetParam() << " seed " << seed << " threshold " << threshold;
    }
  }
}

// The checkpoint seam (Backend::knn_graph's optional KnnCheckpoint): a build stopped after a
// few units and resumed from the units it saved gives the graph of an uninterrupted build, and
// never computes a saved unit again.
class RecordingCheckpoint final : public KnnCheckpoint {
 public:
  void begin(const std::string& plan, int64_t units) override {
    if (!plan_.empty() && (plan != plan_ || units != units_)) throw InputError("plan changed");
    plan_ = plan;
    units_ = units;
  }
  bool done(int64_t unit) const override { return units_saved_.count(unit) != 0; }
  bool load(int64_t unit, KnnUnit& out) override {
    auto it = units_saved_.find(unit);
    if (it == units_saved_.end()) return false;
    out = it->second;
    return true;
  }
  void save(int64_t unit, const KnnUnit& data) override {
    EXPECT_EQ(units_saved_.count(unit), 0u) << "unit " << unit << " computed twice";
    units_saved_[unit] = data;
  }
  bool stop_requested() const override {
    return stop_after_ >= 0 && int64_t(units_saved_.size()) >= stop_after_;
  }
  std::string plan_;
  int64_t units_ = -1, stop_after_ = -1;
  std::map<int64_t, KnnUnit> units_saved_;
};

TEST_P(BackendTest, CheckpointedBuildStopsAndResumesToTheSameGraph) {
  const int64_t rows = 2501, cols = 13;
  std::vector<float> values = make_data(rows, cols, 19, Metric::cosine);
  KnnParams params;
  params.k = 9;
  params.metric = Metric::cosine;
  params.mode = KnnMode::exact;
  params.query_block_rows = 300;  // 9 units, the last one short
  const MatrixView view{values.data(), rows, cols};
  const KnnGraph expected = backend_->knn_graph(view, params, nullptr);
  RecordingCheckpoint checkpoint;
  checkpoint.stop_after_ = 2;
  EXPECT_THROW(backend_->knn_graph(view, params, nullptr, &checkpoint), StopRequested);
  EXPECT_EQ(checkpoint.units_, 9);
  EXPECT_GE(checkpoint.units_saved_.size(), 2u);
  EXPECT_LT(checkpoint.units_saved_.size(), 9u);
  checkpoint.stop_after_ = -1;
  const KnnGraph resumed = backend_->knn_graph(view, params, nullptr, &checkpoint);
  EXPECT_EQ(checkpoint.units_saved_.size(), 9u);
  EXPECT_EQ(resumed.neighbors, expected.neighbors) << GetParam();
  EXPECT_EQ(resumed.similarity, expected.similarity) << GetParam();
}

// kNN-DBSCAN and group statistics: a hand-made graph with the answers worked out by hand (so
// the CPU reference itself is checked), then real and random graphs against the CPU reference.

/// The 7-row, k=2 graph of the hand-made cases: rows 0-2 a tight core triple, row 3 a border
/// row next to 1, row 4 a loner whose nearest neighbour is beyond eps, rows 5-6 a core pair.
struct HandGraph {
  KnnGraph graph;
  std::vector<float> distances, core_distance;
  double eps = 0.5;
  HandGraph() {
    graph.rows = 7;
    graph.k = 2;
    graph.neighbors = {1, 2, 0, 2, 1, 0, 1, 5, 6, 3, 6, 3, 5, 4};
    distances = {0.1f, 0.2f, 0.1f, 0.15f, 0.15f, 0.2f, 0.3f,
                 0.4f, 0.6f, 0.7f, 0.2f,  0.4f,  0.2f, 0.6f};
    for (float d : distances) graph.similarity.push_back(1.f - d);
    core_distance = {0.2f, 0.15f, 0.2f, 0.9f, 0.7f, 0.4f, 0.45f};
  }
};

TEST_P(BackendTest, DensityLabelsOfAHandMadeGraph) {
  const HandGraph hand;
  const DensityLabels got =
      backend_->density_labels(hand.graph, hand.distances, hand.core_distance, hand.eps);
  EXPECT_EQ(got.core, (std::vector<uint8_t>{1, 1, 1, 0, 0, 1, 1}));
  // Row 3 joins through its core neighbour 1; row 4's nearest is beyond eps: noise.
  EXPECT_EQ(got.label, (std::vector<int64_t>{0, 0, 0, 0, -1, 5, 5}));
  // A tighter eps: row 6 (0.45) stops being core; row 5 then has no core edge but stays core.
  const DensityLabels tight =
      backend_->density_labels(hand.graph, hand.distances, hand.core_distance, 0.42);
  EXPECT_EQ(tight.core, (std::vector<uint8_t>{1, 1, 1, 0, 0, 1, 0}));
  EXPECT_EQ(tight.label, (std::vector<int64_t>{0, 0, 0, 0, -1, 5, 5}));
}

TEST_P(BackendTest, GroupStatisticsOfAHandMadeGraph) {
  HandGraph hand;
  const std::vector<int64_t> label = {0, 0, 0, 0, -1, 5, 5};
  GroupStatsOptions options;
  options.core = {1, 1, 1, 0, 0, 1, 1};
  options.core_distance = hand.core_distance;
  options.surround = true;
  const GroupTable table = backend_->group_statistics(hand.graph, label, options);
  ASSERT_EQ(table.groups, 2);
  ASSERT_EQ(table.kept.size(), 2u);
  const GroupStats& a = table.kept[0];
  EXPECT_EQ(a.label, 0);
  EXPECT_EQ(a.size, 4);
  EXPECT_EQ(a.first_row, 0);
  EXPECT_EQ(a.core_size, 3);
  EXPECT_EQ(a.inside_edges, 7);  // every edge of rows 0-2, and 3 -> 1
  EXPECT_NEAR(a.inside_similarity_sum, 5.8, 1e-6);
  EXPECT_NEAR(a.inside_similarity_min, 0.7, 1e-6);
  EXPECT_DOUBLE_EQ(a.internal_median, 0.2f);  // (0.2 + 0.2) / 2 of .15 .2 .2 .9
  EXPECT_EQ(a.surround_rows, 1);              // row 5
  EXPECT_DOUBLE_EQ(a.surround_median, 0.4f);
  const GroupStats& b = table.kept[1];
  EXPECT_EQ(b.label, 5);
  EXPECT_EQ(b.size, 2);
  EXPECT_EQ(b.first_row, 5);
  EXPECT_EQ(b.core_size, 2);
  EXPECT_EQ(b.inside_edges, 2);
  EXPECT_NEAR(b.inside_similarity_sum, 1.6, 1e-6);
  EXPECT_DOUBLE_EQ(b.internal_median, 0.5 * (double(0.4f) + double(0.45f)));
  EXPECT_EQ(b.surround_rows, 2);  // rows 3 and 4
  EXPECT_DOUBLE_EQ(b.surround_median, 0.5 * (double(0.9f) + double(0.7f)));

  // Small groups are counted, not described; rows with no finite core distance are no surround.
  options.min_size = 3;
  options.core_distance[4] = std::numeric_limits<float>::infinity();
  const GroupTable big = backend_->group_statistics(hand.graph, label, options);
  EXPECT_EQ(big.groups, 2);
  ASSERT_EQ(big.kept.size(), 1u);
  EXPECT_EQ(big.kept[0].label, 0);
  options.min_size = 1;
  const GroupTable finite = backend_->group_statistics(hand.graph, label, options);
  ASSERT_EQ(finite.kept.size(), 2u);
  EXPECT_EQ(finite.kept[1].surround_rows, 1);
  EXPECT_DOUBLE_EQ(finite.kept[1].surround_median, 0.9f);

  // Without distances or core flags: only sizes and edges.
  const GroupTable bare = backend_->group_statistics(hand.graph, label, GroupStatsOptions{});
  ASSERT_EQ(bare.kept.size(), 2u);
  EXPECT_EQ(bare.kept[0].core_size, 0);
  EXPECT_EQ(bare.kept[0].inside_edges, 7);
  EXPECT_TRUE(std::isnan(bare.kept[0].internal_median));
  EXPECT_TRUE(std::isnan(bare.kept[0].surround_median));
}

/// Distances along a cosine graph's edges and each row's distance to its min_pts-th neighbour,
/// as the sweep's density model computes them.
void cosine_distances(const KnnGraph& graph, int min_pts, std::vector<float>* distances,
                      std::vector<float>* core_distance) {
  distances->resize(graph.similarity.size());
  for (size_t e = 0; e < graph.similarity.size(); ++e) {
    (*distances)[e] = graph.neighbors[e] < 0
                          ? std::numeric_limits<float>::infinity()
                          : std::sqrt(std::max(0.f, 2.f - 2.f * graph.similarity[e]));
  }
  core_distance->resize(size_t(graph.rows));
  for (int64_t i = 0; i < graph.rows; ++i) {
    (*core_distance)[size_t(i)] = (*distances)[size_t(i * graph.k + min_pts - 1)];
  }
}

/// Rows around `centres` tight clusters of every size, the rest scattered: a graph with core,
/// border and noise rows.
std::vector<float> clustered_data(int64_t rows, int64_t cols, int centres, uint64_t seed) {
  std::vector<float> values = make_data(rows, cols, seed, Metric::cosine);
  std::mt19937_64 rng(seed + 7);
  std::normal_distribution<float> noise(0.f, 0.02f);
  for (int64_t r = 0; r < rows; ++r) {
    if (r % 3 == 0) continue;  // a third stays scattered
    const int64_t centre = int64_t(rng() % uint64_t(centres));
    double norm = 0;
    for (int64_t c = 0; c < cols; ++c) {
      float& v = values[size_t(r * cols + c)];
      v = values[size_t(centre * 3 * cols + c)] + noise(rng) * float(1 + centre % 4);
      norm += double(v) * v;
    }
    for (int64_t c = 0; c < cols; ++c) values[size_t(r * cols + c)] /= float(std::sqrt(norm));
  }
  return values;
}

void expect_same_table(const GroupTable& got, const GroupTable& want, const std::string& what) {
  ASSERT_EQ(got.groups, want.groups) << what;
  ASSERT_EQ(got.kept.size(), want.kept.size()) << what;
  for (size_t g = 0; g < want.kept.size(); ++g) {
    const GroupStats& x = got.kept[g];
    const GroupStats& y = want.kept[g];
    const std::string at = what + " group " + std::to_string(g);
    EXPECT_EQ(x.label, y.label) << at;
    EXPECT_EQ(x.size, y.size) << at;
    EXPECT_EQ(x.first_row, y.first_row) << at;
    EXPECT_EQ(x.core_size, y.core_size) << at;
    EXPECT_EQ(x.inside_edges, y.inside_edges) << at;
    // Summed in another order on a GPU: equal to double rounding.
    EXPECT_NEAR(x.inside_similarity_sum, y.inside_similarity_sum,
                1e-12 * std::max(1.0, std::fabs(y.inside_similarity_sum)))
        << at;
    EXPECT_EQ(x.inside_similarity_min, y.inside_similarity_min) << at;
    EXPECT_TRUE(x.internal_median == y.internal_median ||
                (std::isnan(x.internal_median) && std::isnan(y.internal_median)))
        << at << ": " << x.internal_median << " vs " << y.internal_median;
    EXPECT_TRUE(x.surround_median == y.surround_median ||
                (std::isnan(x.surround_median) && std::isnan(y.surround_median)))
        << at << ": " << x.surround_median << " vs " << y.surround_median;
    EXPECT_EQ(x.surround_rows, y.surround_rows) << at;
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_P(BackendTest, DensityLabelsAndGroupStatisticsEqualTheCpuReference) {
  for (int64_t rows : {1, 2, 9, 1000, 4099}) {
    const int64_t cols = 13;
    const std::vector<float> values =
        clustered_data(rows, cols, std::max<int>(1, int(rows / 60)), uint64_t(rows));
    const KnnGraph graph = exact_knn(values, cols, 10, Metric::cosine);
    std::vector<float> distances, core_distance;
    cosine_distances(graph, 8, &distances, &core_distance);
    for (double eps : {0.0, 0.05, 0.15, 0.4, 3.0}) {
      const std::string what =
          GetParam() + " N=" + std::to_string(rows) + " eps " + std::to_string(eps);
      const DensityLabels got = backend_->density_labels(graph, distances, core_distance, eps);
      const DensityLabels want = cpu_density_labels(graph, distances, core_distance, eps);
      EXPECT_EQ(got.core, want.core) << what;
      EXPECT_EQ(got.label, want.label) << what;
      for (int64_t min_size : {1, 2, 9}) {
        GroupStatsOptions options;
        options.min_size = min_size;
        options.core_distance = core_distance;
        options.core = want.core;
        options.surround = true;
        expect_same_table(backend_->group_statistics(graph, want.label, options),
                          cpu_group_statistics(graph, want.label, options),
                          what + " min_size " + std::to_string(min_size));
      }
      // Components as labels (the duplicate groups' use): no distances, no core flags.
      const std::vector<int64_t> components = cpu_threshold_components(graph, 0.9f, {});
      GroupStatsOptions plain;
      plain.min_size = 2;
      expect_same_table(backend_->group_statistics(graph, components, plain),
                        cpu_group_statistics(graph, components, plain), what + " components");
    }
  }
  // Random graphs with padding, one-way edges and random labels (groups need not be connected).
  std::mt19937_64 rng(3);
  const int64_t rows = 50021;
  KnnGraph graph;
  graph.rows = rows;
  graph.k = 7;
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  for (int64_t i = 0; i < rows * graph.k; ++i) {
    graph.neighbors.push_back(rng() % 13 == 0 ? -1 : int64_t(rng() % uint64_t(rows)));
    graph.similarity.push_back(unit(rng));
  }
  canonicalize_rows(graph);
  std::vector<int64_t> label(static_cast<size_t>(rows));
  for (auto& l : label) l = rng() % 4 == 0 ? -1 : int64_t(rng() % 5000);
  GroupStatsOptions options;
  options.core_distance.resize(size_t(rows));
  for (auto& d : options.core_distance) {
    d = rng() % 17 == 0 ? std::numeric_limits<float>::infinity() : unit(rng);
  }
  options.core.resize(size_t(rows));
  for (auto& c : options.core) c = rng() % 2;
  options.surround = true;
  expect_same_table(backend_->group_statistics(graph, label, options),
                    cpu_group_statistics(graph, label, options), GetParam() + " random labels");
}

TEST_P(BackendTest, DensityAndGroupInputErrorsNameTheProblem) {
  HandGraph hand;
  hand.graph.neighbors[9] = 70;  // row 4, slot 1
  const std::vector<int64_t> label = {0, 0, 0, 0, 4, 5, 5};
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (attempt == 0) {
        backend_->density_labels(hand.graph, hand.distances, hand.core_distance, hand.eps);
      } else {
        backend_->group_statistics(hand.graph, label, GroupStatsOptions{});
      }
      ADD_FAILURE() << GetParam() << ": a neighbour past the end was accepted";
    } catch (const InputError& e) {
      EXPECT_STREQ(e.what(), "kNN graph row 4 lists neighbour 70 but has only 7 rows");
    }
  }
  // Bad neighbours in two rows, the later one in a smaller label, and groups too small to be
  // described: still an error, naming the first row.
  hand.graph.neighbors[2 * 6 + 1] = 80;  // row 6, label 5
  GroupStatsOptions big_only;
  big_only.min_size = 3;
  try {
    backend_->group_statistics(hand.graph, {0, 0, 0, 0, 4, 4, 1}, big_only);
    ADD_FAILURE() << GetParam() << ": a neighbour past the end was accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "kNN graph row 4 lists neighbour 70 but has only 7 rows");
  }
  hand.graph.neighbors[9] = 3;
  hand.graph.neighbors[2 * 6 + 1] = 4;
  EXPECT_THROW(backend_->density_labels(hand.graph, {0.1f}, hand.core_distance, 0.5), InputError);
  EXPECT_THROW(backend_->group_statistics(hand.graph, {0, 0}, GroupStatsOptions{}), InputError);
  EXPECT_THROW(backend_->group_statistics(hand.graph, {0, 0, 0, 0, 9, 5, 5}, GroupStatsOptions{}),
               InputError);
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::Values("cpu", "cuda"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace unfriend
