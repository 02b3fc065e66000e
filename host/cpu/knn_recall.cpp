#include "host/cpu/knn_recall.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <vector>

#include "host/core/error.h"
#include "host/cpu/reference_knn.h"
#include "host/cpu/row_sample.h"
#include "host/cpu/similarity.h"

namespace unfriend {

double knn_recall_on_sample(MatrixView data, const KnnGraph& approx, Metric metric,
                            int64_t sample_rows, uint64_t seed) {
  if (approx.rows != data.rows) {
    throw InputError(fmt::format("recall: the kNN graph has {} rows but the data has {}",
                                 approx.rows, data.rows));
  }
  if (approx.k < 1 || approx.neighbors.size() != static_cast<size_t>(approx.rows * approx.k)) {
    throw InputError(fmt::format("recall: malformed kNN graph ({} rows, k={}, {} neighbours)",
                                 approx.rows, approx.k, approx.neighbors.size()));
  }
  const std::vector<int64_t> sample = unfriend::sample_rows(data.rows, sample_rows, seed);
  if (sample.empty()) return 1.0;
  const KnnGraph exact = exact_knn_of_rows(data, sample, approx.k, metric);

  int64_t found = 0;
  int64_t wanted = 0;
  std::unordered_set<int64_t> exact_set;
  std::unordered_set<int64_t> counted;
  for (size_t s = 0; s < sample.size(); ++s) {
    const int64_t row = sample[s];
    const int64_t* truth = exact.neighbors_of(static_cast<int64_t>(s));
    exact_set.clear();
    counted.clear();
    for (int j = 0; j < exact.k && truth[j] >= 0; ++j) exact_set.insert(truth[j]);
    const int64_t row_wanted = static_cast<int64_t>(exact_set.size());
    if (row_wanted == 0) continue;
    wanted += row_wanted;
    // The k-th exact similarity, recomputed the same way as the approximate candidates.
    const double kth =
        pair_similarity(data.row(row), data.row(truth[row_wanted - 1]), data.cols, metric);
    const double bar = kth - 1e-6 * std::fabs(kth);
    int64_t row_found = 0;
    const int64_t* got = approx.neighbors_of(row);
    for (int j = 0; j < approx.k; ++j) {
      const int64_t other = got[j];
      if (other < 0 || other >= data.rows || other == row) continue;
      if (!counted.insert(other).second) continue;  // a repeated entry is one neighbour
      if (exact_set.count(other) ||
          pair_similarity(data.row(row), data.row(other), data.cols, metric) >= bar) {
        ++row_found;
      }
    }
    found += std::min(row_found, row_wanted);
  }
  return wanted == 0 ? 1.0 : static_cast<double>(found) / static_cast<double>(wanted);
}

}  // namespace unfriend
