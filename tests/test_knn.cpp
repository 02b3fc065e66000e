// The CPU kNN graph (our tiled exact search, FAISS IVF and HNSW) against a naive double-precision
// brute force, the recall measurement, and the bigann10k ground truth computed by someone else.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/knn_graph.h"
#include "host/core/progress.h"
#include "host/cpu/cpu_backend.h"
#include "host/cpu/cpu_knn.h"
#include "host/cpu/exact_knn.h"
#include "host/cpu/ivf_knn.h"
#include "host/cpu/kmeans.h"
#include "host/cpu/knn_recall.h"
#include "host/cpu/reference_knn.h"
#include "host/cpu/row_sample.h"
#include "host/cpu/score_tile.h"
#include "host/cpu/thread_limit.h"
#include "host/cpu/top_candidates.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// ---- data -----------------------------------------------------------------------------------

void normalize_rows(std::vector<float>& values, int64_t cols) {
  for (size_t start = 0; start < values.size(); start += static_cast<size_t>(cols)) {
    double norm = 0;
    for (int64_t c = 0; c < cols; ++c) norm += double(values[start + c]) * values[start + c];
    norm = std::sqrt(norm);
    if (norm == 0) continue;
    for (int64_t c = 0; c < cols; ++c) values[start + c] = float(values[start + c] / norm);
  }
}

/// Seeded normal rows, L2-normalised for cosine (the caller's preprocessing).
std::vector<float> make_data(int64_t rows, int64_t cols, uint64_t seed, Metric metric) {
  std::vector<float> values = test::random_normal(rows, cols, seed);
  if (metric == Metric::cosine) normalize_rows(values, cols);
  return values;
}

/// A gaussian mixture: `centers` centres N(0, 1), points = centre + N(0, spread^2).
std::vector<float> make_clusters(int64_t rows, int64_t cols, int centers, float spread,
                                 uint64_t seed, Metric metric) {
  std::vector<float> middle = test::random_normal(centers, cols, seed);
  std::vector<float> noise = test::random_normal(rows, cols, seed + 1);
  std::mt19937_64 rng(seed + 2);
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    int64_t c = static_cast<int64_t>(rng() % static_cast<uint64_t>(centers));
    for (int64_t d = 0; d < cols; ++d) {
      values[r * cols + d] = middle[c * cols + d] + spread * noise[r * cols + d];
    }
  }
  if (metric == Metric::cosine) normalize_rows(values, cols);
  return values;
}

MatrixView view_of(const std::vector<float>& values, int64_t cols) {
  return MatrixView{values.data(), cols == 0 ? 0 : int64_t(values.size()) / cols, cols};
}

// ---- naive reference --------------------------------------------------------------------------

double naive_similarity(const float* a, const float* b, int64_t cols, Metric metric) {
  double sum = 0;
  for (int64_t d = 0; d < cols; ++d) {
    if (metric == Metric::l2) {
      double diff = double(a[d]) - double(b[d]);
      sum += diff * diff;
    } else {
      sum += double(a[d]) * double(b[d]);
    }
  }
  return metric == Metric::l2 ? -sum : sum;
}

struct Reference {
  int64_t rows = 0;
  int k = 0;
  std::vector<int64_t> neighbors;  // -1 padded
  std::vector<double> similarity;
};

/// Brute force over all pairs in double: sorted by similarity desc, index asc, self excluded.
Reference naive_knn(const std::vector<float>& values, int64_t cols, int k, Metric metric,
                    const std::vector<int64_t>& only_rows = {}) {
  const int64_t rows = int64_t(values.size()) / cols;
  std::vector<int64_t> which = only_rows;
  if (which.empty()) {
    which.resize(size_t(rows));
    std::iota(which.begin(), which.end(), 0);
  }
  Reference ref;
  ref.rows = int64_t(which.size());
  ref.k = k;
  ref.neighbors.assign(which.size() * size_t(k), -1);
  ref.similarity.assign(which.size() * size_t(k), -std::numeric_limits<double>::infinity());
  std::vector<std::pair<double, int64_t>> all;
  for (size_t q = 0; q < which.size(); ++q) {
    const int64_t i = which[q];
    all.clear();
    for (int64_t j = 0; j < rows; ++j) {
      if (j == i) continue;
      all.emplace_back(naive_similarity(&values[i * cols], &values[j * cols], cols, metric), j);
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (int j = 0; j < k && j < int(all.size()); ++j) {
      ref.neighbors[q * k + j] = all[j].second;
      ref.similarity[q * k + j] = all[j].first;
    }
  }
  return ref;
}

/// Tie-tolerant comparison of one graph row with the reference row. Returns "" or the problem.
std::string compare_row(const KnnGraph& got, int64_t row, const Reference& ref, int64_t ref_row,
                        const std::vector<float>& values, int64_t cols, Metric metric, double tol) {
  const int k = got.k;
  const int64_t* nb = got.neighbors_of(row);
  const float* sim = got.similarity_of(row);
  const int64_t* ref_nb = ref.neighbors.data() + ref_row * k;
  const double* ref_sim = ref.similarity.data() + ref_row * k;
  int valid = 0;
  while (valid < k && ref_nb[valid] >= 0) ++valid;
  auto here = [&](int j) { return "row " + std::to_string(row) + " slot " + std::to_string(j); };
  std::set<int64_t> seen;
  for (int j = 0; j < k; ++j) {
    if (j >= valid) {
      if (nb[j] != -1 || sim[j] != -kInf) return here(j) + ": expected padding (-1, -inf)";
      continue;
    }
    if (nb[j] < 0 || nb[j] >= got.rows) return here(j) + ": index out of range or padding";
    if (nb[j] == row) return here(j) + ": the row itself";
    if (!seen.insert(nb[j]).second) return here(j) + ": repeated neighbour";
    const double truth = naive_similarity(&values[row * cols], &values[nb[j] * cols], cols, metric);
    if (std::fabs(truth - sim[j]) > tol * std::max(1.0, std::fabs(truth))) {
      return here(j) + ": similarity " + std::to_string(sim[j]) + " but true " +
             std::to_string(truth);
    }
    if (std::fabs(ref_sim[j] - sim[j]) > tol * std::max(1.0, std::fabs(ref_sim[j]))) {
      return here(j) + ": similarity " + std::to_string(sim[j]) + " but reference " +
             std::to_string(ref_sim[j]);
    }
    if (j > 0 && (sim[j] > sim[j - 1] || (sim[j] == sim[j - 1] && nb[j] < nb[j - 1]))) {
      return here(j) + ": not in canonical order";
    }
  }
  if (valid == 0) return "";
  // Sets may differ only among neighbours tied (within tol) with the k-th similarity.
  const double kth = ref_sim[valid - 1];
  const double slack = tol * std::max(1.0, std::fabs(kth));
  std::set<int64_t> ref_set(ref_nb, ref_nb + valid);
  for (int j = 0; j < valid; ++j) {
    if (!ref_set.count(nb[j]) && sim[j] < kth - slack) {
      return here(j) + ": neighbour " + std::to_string(nb[j]) + " is not in the reference";
    }
    if (!seen.count(ref_nb[j]) && ref_sim[j] > kth + slack) {
      return "row " + std::to_string(row) + ": misses reference neighbour " +
             std::to_string(ref_nb[j]);
    }
  }
  return "";
}

void expect_matches(const KnnGraph& got, const Reference& ref, const std::vector<float>& values,
                    int64_t cols, Metric metric, double tol, const std::string& what) {
  ASSERT_EQ(got.rows, ref.rows) << what;
  ASSERT_EQ(got.k, ref.k) << what;
  ASSERT_EQ(got.neighbors.size(), size_t(got.rows) * size_t(got.k)) << what;
  ASSERT_EQ(got.similarity.size(), size_t(got.rows) * size_t(got.k)) << what;
  int failures = 0;
  for (int64_t r = 0; r < got.rows && failures < 5; ++r) {
    std::string problem = compare_row(got, r, ref, r, values, cols, metric, tol);
    if (!problem.empty()) {
      ADD_FAILURE() << what << ": " << problem;
      ++failures;
    }
  }
}

KnnGraph cpu_knn(const std::vector<float>& values, int64_t cols, const KnnParams& params,
                 KnnReport* report = nullptr, int threads = 0) {
  BackendOptions options;
  options.threads = threads;
  return make_cpu_backend(options)->knn_graph(view_of(values, cols), params, report);
}

KnnParams exact_params(int k, Metric metric) {
  KnnParams params;
  params.k = k;
  params.metric = metric;
  params.mode = KnnMode::exact;
  return params;
}

const Metric kMetrics[] = {Metric::cosine, Metric::inner_product, Metric::l2};

class QuietTest : public ::testing::Test {
 protected:
  void SetUp() override { set_quiet(true); }
};

// ---- exact search vs the naive reference, awkward sizes --------------------------------------

class ExactKnn : public ::testing::TestWithParam<std::tuple<int64_t, int64_t>> {
 protected:
  void SetUp() override { set_quiet(true); }
};

TEST_P(ExactKnn, MatchesNaiveBruteForce) {
  const auto [rows, cols] = GetParam();
  // k >= N pads; k = N exactly only for the small sizes (the big ones cost the most to check).
  std::set<int> ks = {1, 5, 32, int(rows) + 3};
  if (rows < 100) ks.insert(int(rows));
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_data(rows, cols, uint64_t(rows * 1000 + cols), metric);
    const int k_max = *ks.rbegin();
    Reference full = naive_knn(values, cols, k_max, metric);
    for (int k : ks) {
      // The reference for a smaller k is the prefix of the largest one.
      Reference ref;
      ref.rows = full.rows;
      ref.k = k;
      for (int64_t r = 0; r < rows; ++r) {
        ref.neighbors.insert(ref.neighbors.end(), full.neighbors.begin() + r * k_max,
                             full.neighbors.begin() + r * k_max + k);
        ref.similarity.insert(ref.similarity.end(), full.similarity.begin() + r * k_max,
                              full.similarity.begin() + r * k_max + k);
      }
      KnnReport report;
      KnnGraph got = cpu_knn(values, cols, exact_params(k, metric), &report);
      EXPECT_EQ(report.mode_used, KnnMode::exact);
      expect_matches(got, ref, values, cols, metric, 1e-5,
                     "N=" + std::to_string(rows) + " D=" + std::to_string(cols) +
                         " k=" + std::to_string(k) + " " + to_string(metric));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AwkwardSizes, ExactKnn,
                         ::testing::Combine(::testing::Values<int64_t>(1, 2, 3, 37, 1000, 1537),
                                            ::testing::Values<int64_t>(1, 3, 13, 64)));

TEST_F(QuietTest, OneRowIsAllPadding) {
  std::vector<float> values = {0.6f, 0.8f};
  for (Metric metric : kMetrics) {
    KnnGraph got = cpu_knn(values, 2, exact_params(4, metric));
    ASSERT_EQ(got.rows, 1);
    ASSERT_EQ(got.k, 4);
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(got.neighbors[j], -1);
      EXPECT_EQ(got.similarity[j], -kInf);
    }
  }
}

TEST_F(QuietTest, EmptyInputGivesEmptyGraph) {
  KnnGraph got = make_cpu_backend({})->knn_graph(MatrixView{nullptr, 0, 8},
                                                 exact_params(5, Metric::cosine), nullptr);
  EXPECT_EQ(got.rows, 0);
  EXPECT_EQ(got.k, 5);
  EXPECT_TRUE(got.neighbors.empty());
}

// ---- duplicates -------------------------------------------------------------------------------

TEST_F(QuietTest, ExactDuplicatesAppearWithFullSimilarityAndSelfNever) {
  const int64_t rows = 300, cols = 13;
  const int k = 5;
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_data(rows, cols, 77, metric);
    auto copy_row = [&](int64_t from, int64_t to) {
      std::copy(&values[from * cols], &values[from * cols] + cols, &values[to * cols]);
    };
    // A small group (3 copies of row 7: fewer than k) and a big one (40 copies of row 11).
    const std::vector<int64_t> small = {7, 50, 120, 299};
    for (size_t i = 1; i < small.size(); ++i) copy_row(7, small[i]);
    std::vector<int64_t> big = {11};
    for (int64_t r = 200; r < 239; ++r) {
      copy_row(11, r);
      big.push_back(r);
    }
    KnnGraph got = cpu_knn(values, cols, exact_params(k, metric));
    for (int64_t r = 0; r < rows; ++r) {
      for (int j = 0; j < k; ++j) ASSERT_NE(got.neighbors_of(r)[j], r) << to_string(metric);
    }
    auto self_similarity = [&](int64_t r) {
      return naive_similarity(&values[r * cols], &values[r * cols], cols, metric);
    };
    expect_matches(got, naive_knn(values, cols, k, metric), values, cols, metric, 1e-5,
                   "duplicates " + to_string(metric));
    // Under inner product another row can beat a copy (x.y > |x|^2): the reference covers it.
    if (metric == Metric::inner_product) continue;
    // A copy is as close as it gets: similarity 1 for cosine, exactly 0 for l2.
    for (int64_t r : small) {
      std::set<int64_t> want(small.begin(), small.end());
      want.erase(r);
      std::set<int64_t> first(got.neighbors_of(r), got.neighbors_of(r) + 3);
      EXPECT_EQ(first, want) << to_string(metric) << " row " << r;
      for (int j = 0; j < 3; ++j) {
        EXPECT_NEAR(got.similarity_of(r)[j], self_similarity(r), 1e-5) << to_string(metric);
        if (metric == Metric::cosine) {
          EXPECT_NEAR(got.similarity_of(r)[j], 1.0, 1e-5);
        } else {
          EXPECT_EQ(got.similarity_of(r)[j], 0.0f);
        }
      }
    }
    // More copies than k: every slot is another copy at full similarity.
    std::set<int64_t> big_set(big.begin(), big.end());
    for (int64_t r : big) {
      for (int j = 0; j < k; ++j) {
        EXPECT_TRUE(big_set.count(got.neighbors_of(r)[j])) << to_string(metric) << " row " << r;
        EXPECT_NEAR(got.similarity_of(r)[j], self_similarity(r), 1e-5) << to_string(metric);
      }
    }
  }
}

// ---- determinism ------------------------------------------------------------------------------

TEST_F(QuietTest, SmallQueryBlocksGiveTheSameGraphAsOneBlock) {
  const int64_t rows = 1000, cols = 13;
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_data(rows, cols, 5, metric);
    std::copy(&values[3 * cols], &values[4 * cols], &values[900 * cols]);  // a duplicate pair
    KnnParams one = exact_params(32, metric);
    one.query_block_rows = rows;
    KnnParams small = one;
    small.query_block_rows = 7;
    KnnGraph a = cpu_knn(values, cols, one);
    KnnGraph b = cpu_knn(values, cols, small);
    EXPECT_EQ(a.neighbors, b.neighbors) << to_string(metric);
    EXPECT_EQ(a.similarity, b.similarity) << to_string(metric);
  }
}

TEST_F(QuietTest, DeterministicAcrossRunsAndThreadCounts) {
  const int64_t rows = 1537, cols = 64;
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_data(rows, cols, 9, metric);
    KnnParams params = exact_params(32, metric);
    KnnGraph one_thread = cpu_knn(values, cols, params, nullptr, 1);
    KnnGraph again = cpu_knn(values, cols, params, nullptr, 1);
    KnnGraph two_threads = cpu_knn(values, cols, params, nullptr, 2);
    EXPECT_EQ(one_thread.neighbors, again.neighbors) << to_string(metric);
    EXPECT_EQ(one_thread.similarity, again.similarity) << to_string(metric);
    EXPECT_EQ(one_thread.neighbors, two_threads.neighbors) << to_string(metric);
    EXPECT_EQ(one_thread.similarity, two_threads.similarity) << to_string(metric);
  }
}

// ---- the tiled exact search against FAISS and against itself -----------------------------------

KnnGraph tiled_graph(const std::vector<float>& values, int64_t cols, const KnnParams& params,
                     TileKernel kernel, KnnCheckpoint* checkpoint = nullptr) {
  const MatrixView view = view_of(values, cols);
  KnnGraph graph;
  graph.rows = view.rows;
  graph.k = params.k;
  graph.neighbors.assign(size_t(view.rows * params.k), -1);
  graph.similarity.assign(size_t(view.rows * params.k), -kInf);
  const int k_search = int(std::min<int64_t>(params.k + 5, view.rows));
  tiled_exact_knn(view, params, k_search, "test plan", graph, checkpoint, kernel);
  canonicalize_rows(graph);
  return graph;
}

TEST_F(QuietTest, TiledExactSearchGivesFaissBruteForceGraph) {
  // FAISS's brute force (faiss_exact_knn_of_rows) is the reference the tiled search replaced:
  // several bands, blocks that do not divide them, a short last band.
  const int64_t rows = 3001, cols = 80;
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_clusters(rows, cols, 40, 0.3f, 77, metric);
    KnnParams params = exact_params(32, metric);
    params.query_block_rows = 700;
    std::vector<int64_t> all(static_cast<size_t>(rows));
    std::iota(all.begin(), all.end(), 0);
    const KnnGraph faiss = faiss_exact_knn_of_rows(view_of(values, cols), all, 32, metric);
    const KnnGraph tiled = cpu_knn(values, cols, params);
    EXPECT_EQ(tiled.neighbors, faiss.neighbors) << to_string(metric);
    EXPECT_EQ(tiled.similarity, faiss.similarity) << to_string(metric);
  }
}

TEST_F(QuietTest, TiledExactSearchOfSomeRowsGivesFaissBruteForceRows) {
  const int64_t rows = 2500, cols = 33;
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_clusters(rows, cols, 25, 0.3f, 78, metric);
    std::copy(&values[7 * cols], &values[8 * cols], &values[1999 * cols]);  // a duplicate pair
    const std::vector<int64_t> queries = {1999, 0, 7, 2499, 1234, 7};
    const KnnGraph faiss = faiss_exact_knn_of_rows(view_of(values, cols), queries, 20, metric);
    const KnnGraph tiled = exact_knn_of_rows(view_of(values, cols), queries, 20, metric);
    EXPECT_EQ(tiled.neighbors, faiss.neighbors) << to_string(metric);
    EXPECT_EQ(tiled.similarity, faiss.similarity) << to_string(metric);
    EXPECT_EQ(tiled.neighbors_of(0)[0], 7) << "the duplicate first";
  }
}

TEST_F(QuietTest, PortableAndAvx2KernelsGiveTheSameGraph) {
  if (!cpu_has_avx2_fma())
    GTEST_SKIP() << "this CPU has no AVX2+FMA: only the portable kernel runs";
  const int64_t rows = 1001, cols = 37;
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_clusters(rows, cols, 12, 0.2f, 5, metric);
    KnnParams params = exact_params(16, metric);
    params.query_block_rows = 300;
    const KnnGraph portable = tiled_graph(values, cols, params, TileKernel::portable);
    const KnnGraph avx2 = tiled_graph(values, cols, params, TileKernel::avx2);
    EXPECT_EQ(portable.neighbors, avx2.neighbors) << to_string(metric);
    EXPECT_EQ(portable.similarity, avx2.similarity) << to_string(metric);
  }
}

TEST_F(QuietTest, OneTileServesBothItsRowsAndItsColumns) {
  // Tile (I, J) scored once for both sides keeps exactly what tiles (I, J) and (J, I) scored
  // one-sided keep, with the same bits: scores are symmetric and do not depend on the side.
  const int64_t rows = 203, cols = 29;
  for (TileKernel kernel : {TileKernel::portable, TileKernel::automatic}) {
    for (Metric metric : kMetrics) {
      std::vector<float> values = make_data(rows, cols, 11, metric);
      std::vector<float> norms(size_t(rows), 0.0f);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c)
          norms[size_t(r)] = std::fma(values[size_t(r * cols + c)], values[size_t(r * cols + c)],
                                      norms[size_t(r)]);
      }
      TileScorer scorer(view_of(values, cols), metric,
                        metric == Metric::l2 ? norms.data() : nullptr, kernel);
      TopCandidates once(rows, 9), twice(rows, 9);
      scorer.score(ScoreTile{0, 101, 101, rows, true}, once);
      scorer.score(ScoreTile{0, 101, 101, rows, false}, twice);
      scorer.score(ScoreTile{101, rows, 0, 101, false}, twice);
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<int64_t> a(9), b(9);
        once.take_rows(r, a.data());
        twice.take_rows(r, b.data());
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        EXPECT_EQ(a, b) << "row " << r << " " << to_string(metric);
      }
    }
  }
}

TEST_F(QuietTest, CandidatesKeepTheBestWithTiesBrokenByRowWhateverTheOrder) {
  std::mt19937_64 rng(3);
  std::vector<Candidate> offers;
  for (int32_t row = 0; row < 500; ++row) offers.push_back({float(rng() % 20), row});
  std::vector<Candidate> sorted = offers;
  std::sort(sorted.begin(), sorted.end(), candidate_before);
  std::vector<int64_t> expected;
  for (int j = 0; j < 25; ++j) expected.push_back(sorted[size_t(j)].row);
  std::sort(expected.begin(), expected.end());
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(offers.begin(), offers.end(), rng);
    TopCandidates best(1, 25);
    for (const Candidate& c : offers) {
      if (c.score >= best.thresholds()[0]) best.offer(0, c.score, c.row);
    }
    std::vector<int64_t> kept(25);
    best.take_rows(0, kept.data());
    std::sort(kept.begin(), kept.end());
    EXPECT_EQ(kept, expected) << "trial " << trial;
  }
}

TEST_F(QuietTest, ManyExactDuplicatesListTheLowestRowsInAnyBandsAndThreads) {
  const int64_t rows = 1300, cols = 24, copies = 300;
  std::vector<float> values = make_data(rows, cols, 21, Metric::cosine);
  for (int64_t r = 1; r < copies; ++r) {
    std::copy(&values[0], &values[size_t(cols)],
              &values[size_t(r * 4 * cols)]);  // rows 0, 4, 8, ...
  }
  KnnParams params = exact_params(32, Metric::cosine);
  params.query_block_rows = 250;
  const KnnGraph one = cpu_knn(values, cols, params, nullptr, 1);
  const KnnGraph two = cpu_knn(values, cols, params, nullptr, 2);
  EXPECT_EQ(one.neighbors, two.neighbors);
  EXPECT_EQ(one.similarity, two.similarity);
  for (int64_t copy = 0; copy < copies; ++copy) {
    const int64_t row = copy * 4;
    std::vector<int64_t> want;
    for (int64_t other = 0; int64_t(want.size()) < 32; other += 4) {
      if (other != row) want.push_back(other);
    }
    std::vector<int64_t> got(one.neighbors_of(row), one.neighbors_of(row) + 32);
    ASSERT_EQ(got, want) << "copy at row " << row;
  }
}

class MemoryCheckpoint final : public KnnCheckpoint {
 public:
  void begin(const std::string& plan, int64_t units) override {
    plan_ = plan;
    units_ = units;
  }
  bool done(int64_t unit) const override { return saved_.count(unit) != 0; }
  bool load(int64_t unit, KnnUnit& out) override {
    auto it = saved_.find(unit);
    if (it == saved_.end()) return false;
    out = it->second;
    return true;
  }
  void save(int64_t unit, const KnnUnit& data) override {
    ++computed_[unit];
    saved_[unit] = data;
  }
  bool stop_requested() const override { return false; }
  std::string plan_;
  int64_t units_ = 0;
  std::map<int64_t, KnnUnit> saved_;
  std::map<int64_t, int> computed_;
};

TEST_F(QuietTest, BandsReadBackFromACheckpointAreMetOneSided) {
  // Bands 1 and 3 of 5 come from an earlier run: the others meet them one-sided, and the graph
  // is the one an uninterrupted run builds.
  const int64_t rows = 2222, cols = 19;
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_clusters(rows, cols, 30, 0.25f, 8, metric);
    KnnParams params = exact_params(12, metric);
    params.query_block_rows = 480;
    MemoryCheckpoint first;
    const KnnGraph expected = tiled_graph(values, cols, params, TileKernel::automatic, &first);
    ASSERT_EQ(first.units_, 5);
    MemoryCheckpoint resumed;
    resumed.saved_[1] = first.saved_[1];
    resumed.saved_[3] = first.saved_[3];
    const KnnGraph got = tiled_graph(values, cols, params, TileKernel::automatic, &resumed);
    EXPECT_EQ(got.neighbors, expected.neighbors) << to_string(metric);
    EXPECT_EQ(got.similarity, expected.similarity) << to_string(metric);
    EXPECT_EQ(resumed.computed_.count(1), 0u);
    EXPECT_EQ(resumed.computed_.count(3), 0u);
    EXPECT_EQ(resumed.computed_.size(), 3u);
  }
}

TEST_F(QuietTest, PartitionedSearchOfSomeRowsFindsTheirNeighboursWhateverTheThreads) {
  // ivf_knn_of_rows (the cohesion test's search above the exact limit): each query meets the
  // lists nearest to it; against exact search, and the same on one thread and two.
  const int64_t rows = 20000, cols = 24;
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_clusters(rows, cols, 200, 0.3f, 52, metric);
    const std::vector<int64_t> queries = sample_rows(rows, 300, 4);
    const MatrixView view = view_of(values, cols);
    const KnnGraph exact = exact_knn_of_rows(view, queries, 8, metric);
    KnnGraph one, two;
    {
      ThreadLimit limit(1);
      one = ivf_knn_of_rows(view, queries, 8, metric, 141, 8, 3);
    }
    {
      ThreadLimit limit(2);
      two = ivf_knn_of_rows(view, queries, 8, metric, 141, 8, 3);
    }
    EXPECT_EQ(one.neighbors, two.neighbors) << to_string(metric);
    EXPECT_EQ(one.similarity, two.similarity) << to_string(metric);
    int64_t hits = 0;
    for (size_t q = 0; q < queries.size(); ++q) {
      const int64_t* truth = exact.neighbors_of(int64_t(q));
      const int64_t* got = one.neighbors_of(int64_t(q));
      for (int a = 0; a < 8; ++a) hits += std::find(got, got + 8, truth[a]) != got + 8;
      EXPECT_EQ(std::count(got, got + 8, queries[q]), 0) << "self is never a neighbour";
    }
    EXPECT_GE(double(hits) / double(queries.size() * 8), 0.95) << to_string(metric);
  }
}

// ---- k-means (the IVF partition) ------------------------------------------------------------

TEST_F(QuietTest, NearestCentroidsAreTheNaiveNearestWithTiesToTheLowerList) {
  const int64_t rows = 700, cols = 11, lists = 37;
  for (Metric metric : kMetrics) {
    std::vector<float> values = make_data(rows, cols, 31, metric);
    std::vector<float> centroids = make_data(lists, cols, 32, metric);
    std::copy(&centroids[3 * cols], &centroids[4 * cols], &centroids[20 * cols]);  // a tie
    const std::vector<int64_t> got =
        nearest_centroids(view_of(values, cols), view_of(centroids, cols), metric);
    for (int64_t r = 0; r < rows; ++r) {
      int64_t best = -1;
      double best_score = -kInf;
      for (int64_t l = 0; l < lists; ++l) {
        double dot = 0, dist = 0;
        for (int64_t c = 0; c < cols; ++c) {
          dot += double(values[size_t(r * cols + c)]) * centroids[size_t(l * cols + c)];
          const double diff =
              double(values[size_t(r * cols + c)]) - centroids[size_t(l * cols + c)];
          dist += diff * diff;
        }
        const double score = metric == Metric::l2 ? -dist : dot;
        if (score > best_score + 1e-6) best = l, best_score = score;
      }
      EXPECT_EQ(got[size_t(r)], best) << "row " << r << " " << to_string(metric);
      EXPECT_NE(got[size_t(r)], 20) << "the tie goes to list 3";
    }
  }
}

TEST_F(QuietTest, KMeansIsDeterministicAcrossThreadsAndFindsWellSeparatedClusters) {
  const int64_t rows = 4000, cols = 16;
  std::vector<float> values = make_clusters(rows, cols, 8, 0.05f, 41, Metric::cosine);
  const MatrixView view = view_of(values, cols);
  std::vector<float> one, two;
  {
    ThreadLimit limit(1);
    one = train_kmeans(view, 8, 10, true, Metric::cosine, 5);
  }
  {
    ThreadLimit limit(2);
    two = train_kmeans(view, 8, 10, true, Metric::cosine, 5);
  }
  EXPECT_EQ(one, two);
  // Spherical: unit centroids; and rows of one tight cluster share a nearest centroid.
  for (int l = 0; l < 8; ++l) {
    double norm = 0;
    for (int64_t c = 0; c < cols; ++c)
      norm += double(one[size_t(l * cols + c)]) * one[size_t(l * cols + c)];
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  const std::vector<int64_t> nearest = nearest_centroids(view, view_of(one, cols), Metric::cosine);
  std::set<int64_t> used(nearest.begin(), nearest.end());
  EXPECT_GE(used.size(), 6u) << "k-means collapsed the clusters";
}

TEST_F(QuietTest, KMeansSplitsTheLargestClusterForAnEmptyList) {
  // 50 copies of one row and 50 of another, 4 lists: at most 2 can hold rows at first, and the
  // empty ones take halves of the largest.
  const int64_t cols = 4;
  std::vector<float> values;
  for (int r = 0; r < 100; ++r) {
    const float a = r < 50 ? 1.0f : -1.0f;
    values.insert(values.end(), {a, 0.5f, 0.25f, 0.0f});
  }
  const std::vector<float> centroids =
      train_kmeans(view_of(values, cols), 4, 3, false, Metric::l2, 9);
  ASSERT_EQ(centroids.size(), 16u);
  for (float v : centroids) EXPECT_TRUE(std::isfinite(v));
  std::set<std::vector<float>> distinct;
  for (int l = 0; l < 4; ++l)
    distinct.insert(
        std::vector<float>(&centroids[size_t(l * cols)], &centroids[size_t((l + 1) * cols)]));
  EXPECT_EQ(distinct.size(), 4u) << "empty lists must not stay copies of each other";
}

// ---- approximate modes ------------------------------------------------------------------------

/// Recall@k of `got` against the naive reference on `sample` rows (continuous data: no ties).
double direct_recall(const KnnGraph& got, const std::vector<float>& values, int64_t cols,
                     Metric metric, const std::vector<int64_t>& sample) {
  Reference ref = naive_knn(values, cols, got.k, metric, sample);
  int64_t hits = 0, wanted = 0;
  for (size_t s = 0; s < sample.size(); ++s) {
    std::set<int64_t> truth(ref.neighbors.begin() + s * got.k,
                            ref.neighbors.begin() + (s + 1) * got.k);
    truth.erase(-1);
    wanted += int64_t(truth.size());
    const int64_t* nb = got.neighbors_of(sample[s]);
    for (int j = 0; j < got.k; ++j) hits += truth.count(nb[j]);
  }
  return wanted ? double(hits) / double(wanted) : 1.0;
}

class ApproximateKnn : public ::testing::TestWithParam<KnnMode> {
 protected:
  void SetUp() override { set_quiet(true); }
};

TEST_P(ApproximateKnn, RecallAtLeast95PercentOnClusteredData) {
  const int64_t rows = 20000, cols = 32;
  const int k = 32;
  const KnnMode mode = GetParam();
  for (Metric metric : {Metric::cosine, Metric::l2}) {
    // 1000 overlapping clusters: hard enough that IVF with nprobe = nlist/16 falls near 0.95.
    std::vector<float> values = make_clusters(rows, cols, 1000, 0.5f, 2024, metric);
    KnnParams params;
    params.k = k;
    params.metric = metric;
    params.mode = mode;
    KnnReport report;
    KnnGraph got = cpu_knn(values, cols, params, &report);
    ASSERT_EQ(report.mode_used, mode);
    if (mode == KnnMode::ivf) {
      // The documented defaults: nlist = min(4*sqrt(N), N/39); nprobe tuned on a sample from 8
      // up until recall reaches the target.
      EXPECT_EQ(report.ivf_nlist, 512);
      EXPECT_GE(report.ivf_nprobe, 8);
      EXPECT_LE(report.ivf_nprobe, 512);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t* nb = got.neighbors_of(r);
      for (int j = 0; j < k; ++j) ASSERT_NE(nb[j], r);
    }
    const std::vector<int64_t> sample = sample_rows(rows, 400, 31);
    const double direct = direct_recall(got, values, cols, metric, sample);
    const double sampled = knn_recall_on_sample(view_of(values, cols), got, metric, 1000, 7);
    EXPECT_GE(direct, 0.95) << to_string(mode) << " " << to_string(metric);
    EXPECT_GE(sampled, 0.95) << to_string(mode) << " " << to_string(metric);
    // Both measure the same thing on different samples.
    EXPECT_NEAR(direct, sampled, 0.03) << to_string(mode) << " " << to_string(metric);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, ApproximateKnn, ::testing::Values(KnnMode::ivf, KnnMode::hnsw),
                         [](const auto& info) { return to_string(info.param); });

TEST_F(QuietTest, AutomaticPicksExactBelowTheThresholdAndIvfAbove) {
  const int64_t cols = 8;
  std::vector<float> values = make_clusters(3000, cols, 20, 0.5f, 3, Metric::cosine);
  KnnParams params;
  params.k = 10;
  params.mode = KnnMode::automatic;
  params.auto_exact_max_rows = 3000;
  KnnReport report;
  KnnGraph automatic = cpu_knn(values, cols, params, &report);
  EXPECT_EQ(report.mode_used, KnnMode::exact);
  EXPECT_EQ(report.ivf_nlist, 0);
  KnnGraph exact = cpu_knn(values, cols, exact_params(10, Metric::cosine));
  EXPECT_EQ(automatic.neighbors, exact.neighbors);
  EXPECT_EQ(automatic.similarity, exact.similarity);

  params.auto_exact_max_rows = 2999;
  cpu_knn(values, cols, params, &report);
  EXPECT_EQ(report.mode_used, KnnMode::ivf);
  EXPECT_EQ(report.ivf_nlist, 76);  // min(round(4*sqrt(3000)) = 219, 3000/39 = 76)
  EXPECT_GE(report.ivf_nprobe, 1);  // the smallest that reaches the target on a sample
  EXPECT_LE(report.ivf_nprobe, 76);
  EXPECT_GE(report.seconds, 0.0);
}

TEST_F(QuietTest, ExplicitIvfSettingsAreUsedAndReported) {
  const int64_t rows = 2000, cols = 16;
  std::vector<float> values = make_clusters(rows, cols, 10, 0.5f, 4, Metric::l2);
  KnnParams params;
  params.k = 8;
  params.metric = Metric::l2;
  params.mode = KnnMode::ivf;
  params.ivf_nlist = 20;
  params.ivf_nprobe = 20;  // every list: exact up to ties
  params.ivf_train_rows = 1000;
  KnnReport report;
  KnnGraph got = cpu_knn(values, cols, params, &report);
  EXPECT_EQ(report.ivf_nlist, 20);
  EXPECT_EQ(report.ivf_nprobe, 20);
  expect_matches(got, naive_knn(values, cols, 8, Metric::l2), values, cols, Metric::l2, 1e-5,
                 "ivf probing every list");
}

TEST(IvfSettings, DefaultsFollowTheDocumentedRule) {
  KnnParams params;
  IvfSettings big = resolve_ivf_settings(1000000, params);
  EXPECT_EQ(big.nlist, 4000);
  EXPECT_EQ(big.nprobe, 8);  // a placeholder: the search tunes it
  EXPECT_TRUE(big.tune_nprobe);
  EXPECT_EQ(big.train_rows, 160000);  // 40 per list
  IvfSettings mid = resolve_ivf_settings(20000, params);
  EXPECT_EQ(mid.nlist, 512);
  EXPECT_EQ(mid.nprobe, 8);
  EXPECT_EQ(mid.train_rows, 20000);
  IvfSettings tiny = resolve_ivf_settings(10, params);
  EXPECT_EQ(tiny.nlist, 1);
  EXPECT_EQ(tiny.nprobe, 1);
  EXPECT_EQ(tiny.train_rows, 10);
  params.ivf_nlist = 11;
  EXPECT_THROW(resolve_ivf_settings(10, params), InputError);
  params.ivf_nlist = 8;
  params.ivf_train_rows = 5;
  EXPECT_THROW(resolve_ivf_settings(10, params), InputError);
  params.ivf_train_rows = 0;
  params.ivf_nprobe = 100;
  EXPECT_EQ(resolve_ivf_settings(10, params).nprobe, 8);  // capped at nlist
  EXPECT_FALSE(resolve_ivf_settings(10, params).tune_nprobe);
}

TEST(ResolveMode, AutomaticUsesTheRowThreshold) {
  KnnParams params;
  params.auto_exact_max_rows = 100;
  EXPECT_EQ(resolve_knn_mode(100, params), KnnMode::exact);
  EXPECT_EQ(resolve_knn_mode(101, params), KnnMode::ivf);
  params.mode = KnnMode::hnsw;
  EXPECT_EQ(resolve_knn_mode(5, params), KnnMode::hnsw);
}

// ---- recall measurement -----------------------------------------------------------------------

TEST_F(QuietTest, RecallIsOneForTheExactGraphAndDropsWhenNeighboursAreWrong) {
  const int64_t rows = 1500, cols = 12;
  std::vector<float> values = make_data(rows, cols, 12, Metric::l2);
  KnnGraph exact = cpu_knn(values, cols, exact_params(10, Metric::l2));
  EXPECT_DOUBLE_EQ(knn_recall_on_sample(view_of(values, cols), exact, Metric::l2, 300, 1), 1.0);
  EXPECT_DOUBLE_EQ(knn_recall_on_sample(view_of(values, cols), exact, Metric::l2, 5000, 1), 1.0);

  // Replace the last half of every list by the rows farthest away: recall falls to 0.5.
  KnnGraph broken = exact;
  Reference far = naive_knn(values, cols, int(rows) - 1, Metric::l2);
  for (int64_t r = 0; r < rows; ++r) {
    for (int j = 5; j < 10; ++j) {
      broken.neighbors[r * 10 + j] = far.neighbors[r * (rows - 1) + (rows - 1 - 10 + j)];
    }
  }
  const double recall = knn_recall_on_sample(view_of(values, cols), broken, Metric::l2, 300, 1);
  EXPECT_NEAR(recall, 0.5, 1e-12);
}

TEST_F(QuietTest, RecallToleratesTiesAmongDuplicates) {
  // 30 copies of one row and k = 5: any 5 other copies are a perfect answer.
  const int64_t rows = 200, cols = 6;
  std::vector<float> values = make_data(rows, cols, 13, Metric::cosine);
  for (int64_t r = 100; r < 130; ++r) std::copy(&values[0], &values[cols], &values[r * cols]);
  KnnGraph got = cpu_knn(values, cols, exact_params(5, Metric::cosine));
  // Point every copy at the highest-numbered other copies instead of the lowest.
  for (int64_t r = 100; r < 130; ++r) {
    int j = 0;
    for (int64_t other = 129; j < 5; --other) {
      if (other == r) continue;
      got.neighbors[r * 5 + j] = other;
      got.similarity[r * 5 + j] = 1.0f;
      ++j;
    }
  }
  EXPECT_DOUBLE_EQ(knn_recall_on_sample(view_of(values, cols), got, Metric::cosine, rows, 3), 1.0);
}

TEST(RowSample, DeterministicDistinctSortedInRange) {
  std::vector<int64_t> a = sample_rows(1000003, 5000, 99);
  std::vector<int64_t> b = sample_rows(1000003, 5000, 99);
  std::vector<int64_t> c = sample_rows(1000003, 5000, 100);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 5000u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::adjacent_find(a.begin(), a.end()), a.end());
  EXPECT_GE(a.front(), 0);
  EXPECT_LT(a.back(), 1000003);
  // Spread over the range, not bunched at one end.
  EXPECT_LT(a.front(), 10000);
  EXPECT_GT(a.back(), 990000);
  std::vector<int64_t> all = sample_rows(7, 50, 1);
  EXPECT_EQ(all, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(sample_rows(0, 5, 1).empty());
}

// ---- bad input --------------------------------------------------------------------------------

template <typename Fn>
std::string input_error_of(Fn fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST_F(QuietTest, BadParametersAndDataAreInputErrors) {
  std::vector<float> values = make_data(50, 4, 1, Metric::l2);
  auto backend = make_cpu_backend({});
  std::vector<std::string> messages;
  messages.push_back(input_error_of(
      [&] { backend->knn_graph(view_of(values, 4), exact_params(0, Metric::l2), nullptr); }));
  KnnParams block = exact_params(3, Metric::l2);
  block.query_block_rows = 0;
  messages.push_back(
      input_error_of([&] { backend->knn_graph(view_of(values, 4), block, nullptr); }));
  KnnParams ivf = exact_params(3, Metric::l2);
  ivf.mode = KnnMode::ivf;
  ivf.ivf_nlist = 51;
  messages.push_back(input_error_of([&] { backend->knn_graph(view_of(values, 4), ivf, nullptr); }));
  KnnParams hnsw = exact_params(3, Metric::l2);
  hnsw.mode = KnnMode::hnsw;
  hnsw.hnsw_m = 1;
  messages.push_back(
      input_error_of([&] { backend->knn_graph(view_of(values, 4), hnsw, nullptr); }));
  values[2 * 4 + 3] = std::numeric_limits<float>::quiet_NaN();
  messages.push_back(input_error_of(
      [&] { backend->knn_graph(view_of(values, 4), exact_params(3, Metric::l2), nullptr); }));
  for (const std::string& message : messages) {
    EXPECT_FALSE(message.empty()) << "expected an InputError";
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_NE(messages.back().find("row 2 column 3"), std::string::npos) << messages.back();
}

// ---- bigann10k: exact L2 kNN against a ground truth computed elsewhere ------------------------

/// The payload of one uncompressed TileDB filtered-tile buffer starting at `offset` (layout in
/// SOURCE.md); advances offset past it.
std::vector<uint8_t> read_tile_buffer(const std::vector<uint8_t>& bytes, size_t& offset) {
  auto need = [&](size_t n) {
    if (offset + n > bytes.size()) throw std::runtime_error("truncated TileDB buffer");
  };
  auto u64 = [&] {
    need(8);
    uint64_t v;
    std::memcpy(&v, &bytes[offset], 8);
    offset += 8;
    return v;
  };
  auto u32 = [&] {
    need(4);
    uint32_t v;
    std::memcpy(&v, &bytes[offset], 4);
    offset += 4;
    return v;
  };
  std::vector<uint8_t> payload;
  const uint64_t chunks = u64();
  for (uint64_t c = 0; c < chunks; ++c) {
    const uint32_t original = u32();
    const uint32_t filtered = u32();
    const uint32_t metadata = u32();
    if (original != filtered) throw std::runtime_error("compressed TileDB chunk");
    need(size_t(metadata) + filtered);
    offset += metadata;
    payload.insert(payload.end(), bytes.begin() + long(offset),
                   bytes.begin() + long(offset + filtered));
    offset += filtered;
  }
  return payload;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct Bigann {
  std::vector<uint8_t> base;     // 10000 x 128
  std::vector<uint8_t> queries;  // 100 x 128
  std::vector<int64_t> truth;    // 100 x 100, row q = neighbours of query q by distance
};

Bigann load_bigann(const std::string& dir) {
  Bigann data;
  size_t offset = 0;
  std::vector<uint8_t> bytes = read_bytes(dir + "/input_vectors.a0.tdb");
  data.base = read_tile_buffer(bytes, offset);
  EXPECT_EQ(offset, bytes.size());
  offset = 0;
  bytes = read_bytes(dir + "/queries.a0.tdb");
  data.queries = read_tile_buffer(bytes, offset);
  EXPECT_EQ(offset, bytes.size());
  offset = 0;
  bytes = read_bytes(dir + "/groundtruth.a0.tdb");
  std::vector<std::vector<uint8_t>> tiles;
  while (offset < bytes.size()) tiles.push_back(read_tile_buffer(bytes, offset));
  EXPECT_EQ(tiles.size(), 100u);
  data.truth.assign(100 * 100, -1);
  for (int q = 0; q < 100 && tiles.size() == 100; ++q) {
    for (int k = 0; k < 100; ++k) {
      const auto& tile = tiles[size_t((q / 10) * 10 + k / 10)];
      const size_t cell = size_t((q % 10) * 10 + k % 10);
      uint64_t id = 0;
      if (tile.size() >= (cell + 1) * 8) std::memcpy(&id, &tile[cell * 8], 8);
      data.truth[size_t(q * 100 + k)] = int64_t(id);
    }
  }
  return data;
}

int64_t squared_distance(const std::vector<uint8_t>& base, int64_t a, int64_t b) {
  int64_t sum = 0;
  for (int d = 0; d < 128; ++d) {
    const int64_t diff = int64_t(base[size_t(a * 128 + d)]) - int64_t(base[size_t(b * 128 + d)]);
    sum += diff * diff;
  }
  return sum;
}

TEST_F(QuietTest, Bigann10kExactL2MatchesGroundTruth) {
  const std::string dir = test::shared_data("bigann10k-tiledb");
  if (dir.empty()) GTEST_SKIP() << "shared data bigann10k-tiledb is absent (../shared/data)";
  Bigann data = load_bigann(dir);
  ASSERT_EQ(data.base.size(), 10000u * 128u);
  ASSERT_EQ(data.queries.size(), 100u * 128u);
  const std::vector<uint8_t> first16 = {0, 0, 0, 1, 8, 7, 3, 2, 5, 0, 0, 3, 5, 7, 11, 31};
  EXPECT_TRUE(std::equal(first16.begin(), first16.end(), data.base.begin()));
  // The queries are base vectors 0..99, so our self-excluded graph rows 0..99 are their answers.
  EXPECT_TRUE(std::equal(data.queries.begin(), data.queries.end(), data.base.begin()));

  std::vector<float> values(data.base.begin(), data.base.end());
  const int k = 99;
  KnnParams params = exact_params(k, Metric::l2);
  params.query_block_rows = 4096;
  KnnGraph got = cpu_knn(values, 128, params);

  for (int64_t q = 0; q < 100; ++q) {
    const int64_t* gt_row = &data.truth[size_t(q * 100)];
    // Ground-truth neighbour 0 is the query itself (distance 0); the rest is what we find.
    std::vector<int64_t> truth;
    for (int j = 0; j < 100; ++j) {
      if (gt_row[j] != q) truth.push_back(gt_row[j]);
    }
    ASSERT_EQ(truth.size(), 99u) << "query " << q;
    const int64_t* nb = got.neighbors_of(q);
    const float* sim = got.similarity_of(q);
    std::set<int64_t> ours(nb, nb + k);
    std::set<int64_t> theirs(truth.begin(), truth.end());
    const int64_t boundary = squared_distance(data.base, q, truth.back());
    for (int j = 0; j < k; ++j) {
      // Distances rank by rank agree exactly (integers below 2^24, exact in float).
      const int64_t want = squared_distance(data.base, q, truth[size_t(j)]);
      EXPECT_EQ(int64_t(-sim[j]), want) << "query " << q << " rank " << j + 1;
      EXPECT_EQ(-sim[j], float(squared_distance(data.base, q, nb[j])));
      // Ids differ only where the ground truth has a tie at the cut.
      if (!theirs.count(nb[j])) {
        EXPECT_EQ(squared_distance(data.base, q, nb[j]), boundary) << "query " << q;
      }
      if (!ours.count(truth[size_t(j)])) {
        EXPECT_EQ(squared_distance(data.base, q, truth[size_t(j)]), boundary) << "query " << q;
      }
    }
  }

  // Reference values from SOURCE.md (top-10 includes the query itself at rank 0).
  const std::vector<int64_t> top0 = {2, 5398, 5993, 6044, 1988, 6017, 5969, 1018, 9762};
  const std::vector<int64_t> top1 = {5685, 547, 2898, 4875, 5227, 4662, 6018, 440, 5578};
  const std::vector<int64_t> top2 = {0, 8343, 6027, 6044, 7964, 439, 859, 6423, 9302};
  EXPECT_EQ(std::vector<int64_t>(got.neighbors_of(0), got.neighbors_of(0) + 9), top0);
  EXPECT_EQ(std::vector<int64_t>(got.neighbors_of(1), got.neighbors_of(1) + 9), top1);
  EXPECT_EQ(std::vector<int64_t>(got.neighbors_of(2), got.neighbors_of(2) + 9), top2);
  EXPECT_EQ(got.similarity_of(0)[0], -60088.0f);
  EXPECT_EQ(got.similarity_of(0)[1], -99788.0f);
  float worst = 0;
  for (int64_t q = 0; q < 100; ++q) worst = std::max(worst, -got.similarity_of(q)[k - 1]);
  EXPECT_EQ(worst, 203419.0f);
}

}  // namespace
}  // namespace unfriend
