#include "host/pipeline/cluster_profile.h"

#include <cmath>
#include <limits>

namespace unfriend {

std::vector<float> feature_spread_ratios(MatrixView features, const std::vector<int64_t>& label,
                                         int64_t clusters) {
  const int64_t cols = features.cols;
  const size_t cells = static_cast<size_t>(clusters * cols);
  std::vector<double> sum(cells, 0.0), squares(cells, 0.0);
  std::vector<double> all_sum(static_cast<size_t>(cols), 0.0), all_squares(all_sum.size(), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(clusters), 0);
  // One pass in row order (sums in a fixed order: the same bits at any thread count).
  for (int64_t i = 0; i < features.rows; ++i) {
    const float* row = features.row(i);
    const int64_t c = label[static_cast<size_t>(i)];
    for (int64_t j = 0; j < cols; ++j) {
      const double v = row[j];
      all_sum[static_cast<size_t>(j)] += v;
      all_squares[static_cast<size_t>(j)] += v * v;
      if (c >= 0) {
        sum[static_cast<size_t>(c * cols + j)] += v;
        squares[static_cast<size_t>(c * cols + j)] += v * v;
      }
    }
    if (c >= 0) ++count[static_cast<size_t>(c)];
  }
  auto deviation = [](double s, double q, double n) {
    const double mean = s / n;
    return std::sqrt(std::max(0.0, q / n - mean * mean));
  };
  std::vector<float> ratio(cells, std::numeric_limits<float>::quiet_NaN());
  const double n = static_cast<double>(features.rows);
  for (int64_t j = 0; j < cols && n > 1; ++j) {
    const double everyone =
        deviation(all_sum[static_cast<size_t>(j)], all_squares[static_cast<size_t>(j)], n);
    if (!(everyone > 1e-12)) continue;
    for (int64_t c = 0; c < clusters; ++c) {
      const double m = static_cast<double>(count[static_cast<size_t>(c)]);
      if (m < 2) continue;
      const size_t cell = static_cast<size_t>(c * cols + j);
      ratio[cell] = static_cast<float>(deviation(sum[cell], squares[cell], m) / everyone);
    }
  }
  return ratio;
}

}  // namespace unfriend
