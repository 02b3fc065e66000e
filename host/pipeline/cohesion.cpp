#include "host/pipeline/cohesion.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "host/core/splitmix64.h"
#include "host/pipeline/preprocess.h"

namespace unfriend {

namespace {

Matrix half_of(MatrixView features, const std::vector<int32_t>& columns, Metric metric) {
  const int64_t width = static_cast<int64_t>(columns.size());
  Matrix half(features.rows, width);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < features.rows; ++i) {
    const float* row = features.row(i);
    float* out = half.row(i);
    for (int64_t j = 0; j < width; ++j) out[j] = row[columns[static_cast<size_t>(j)]];
  }
  normalize_for_metric(half, metric);
  return half;
}

}  // namespace

FeatureHalves split_feature_halves(const std::vector<int32_t>& informative, uint64_t seed) {
  FeatureHalves halves;
  if (informative.size() < 2) return halves;
  std::vector<int32_t> order = informative;
  uint64_t state = seed ^ 0x5eed5eed1175ULL;
  for (size_t i = order.size() - 1; i > 0; --i) {
    const size_t j = static_cast<size_t>(splitmix64_next(state) % (i + 1));
    std::swap(order[i], order[j]);
  }
  const size_t first = order.size() / 2;
  halves.columns[0].assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(first));
  halves.columns[1].assign(order.begin() + static_cast<std::ptrdiff_t>(first), order.end());
  for (auto& c : halves.columns) std::sort(c.begin(), c.end());
  return halves;
}

std::vector<std::array<double, 2>> split_cohesion(Backend& backend, MatrixView features,
                                                  Metric metric, const FeatureHalves& halves,
                                                  const std::vector<int64_t>& label, int64_t sets,
                                                  const CohesionOptions& options) {
  std::vector<std::array<double, 2>> cohesion(static_cast<size_t>(sets), {0.0, 0.0});
  if (sets == 0 || !halves.usable() || options.neighbors < 1) return cohesion;

  // Members of each set by row, then the evenly spaced sample of each.
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(sets));
  for (size_t i = 0; i < label.size(); ++i) {
    if (label[i] >= 0) members[static_cast<size_t>(label[i])].push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> queries, query_set;
  const int64_t max_queries = std::max<int64_t>(1, options.max_queries);
  for (int64_t s = 0; s < sets; ++s) {
    const auto& m = members[static_cast<size_t>(s)];
    const int64_t size = static_cast<int64_t>(m.size());
    if (size < 2) continue;
    const int64_t take = std::min(size, max_queries);
    for (int64_t q = 0; q < take; ++q) {
      queries.push_back(m[static_cast<size_t>(q * size / take)]);
      query_set.push_back(s);
    }
  }
  if (queries.empty()) return cohesion;
  const int k = static_cast<int>(
      std::min<int64_t>(options.neighbors, std::max<int64_t>(1, features.rows - 1)));

  for (int h = 0; h < 2; ++h) {
    const Matrix half = half_of(features, halves.columns[static_cast<size_t>(h)], metric);
    RowsKnnParams search;
    search.k = k;
    search.metric = metric;
    search.query_block_rows = options.query_block_rows;
    if (features.rows > options.exact_max_rows) {
      search.mode = KnnMode::ivf;
      search.ivf_nlist = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(features.rows))));
      search.ivf_nprobe = (search.ivf_nlist + 19) / 20;
      search.seed = options.seed + static_cast<uint64_t>(h);
    }
    const KnnGraph nearest = backend.knn_of_rows(half.view(), queries, search);
    std::vector<double> sum(static_cast<size_t>(sets), 0.0);
    std::vector<int64_t> count(static_cast<size_t>(sets), 0);
    for (size_t q = 0; q < queries.size(); ++q) {
      const int64_t s = query_set[q];
      const int64_t size = static_cast<int64_t>(members[static_cast<size_t>(s)].size());
      const int width = static_cast<int>(std::min<int64_t>(k, size - 1));
      int inside = 0;
      for (int j = 0; j < width; ++j) {
        const int64_t other =
            nearest.neighbors[q * static_cast<size_t>(k) + static_cast<size_t>(j)];
        inside += other >= 0 && label[static_cast<size_t>(other)] == s;
      }
      sum[static_cast<size_t>(s)] += static_cast<double>(inside) / width;
      ++count[static_cast<size_t>(s)];
    }
    for (int64_t s = 0; s < sets; ++s) {
      if (count[static_cast<size_t>(s)] > 0) {
        cohesion[static_cast<size_t>(s)][static_cast<size_t>(h)] =
            sum[static_cast<size_t>(s)] / static_cast<double>(count[static_cast<size_t>(s)]);
      }
    }
  }
  return cohesion;
}

}  // namespace unfriend
