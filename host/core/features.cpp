// The preprocessing arithmetic every backend shares (see features.h): kept in one place so that
// a device path and the host reference cannot drift apart.
#include "host/core/features.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "host/core/progress.h"

namespace unfriend {

int64_t stats_sample_stride(int64_t rows) {
  return std::max<int64_t>(1, (rows + kStatsSampleRows - 1) / kStatsSampleRows);
}

int64_t stats_sample_rows(int64_t rows) {
  const int64_t stride = stats_sample_stride(rows);
  return (rows + stride - 1) / stride;
}

namespace {

// The value of rank `at` (0-based) of values; reorders them.
double value_of_rank(std::vector<double>& values, size_t at) {
  std::nth_element(values.begin(), values.begin() + at, values.end());
  return values[at];
}

}  // namespace

FeatureStats robust_feature_stats(std::vector<float> sample, int64_t sample_rows, int64_t cols) {
  FeatureStats stats;
  stats.location.assign(static_cast<size_t>(cols), 0.0);
  stats.scale.assign(static_cast<size_t>(cols), 0.0);
  stats.extreme.assign(static_cast<size_t>(cols), 0.0);
  stats.sample_rows = sample_rows;
  if (sample_rows == 0) return stats;
  std::vector<double> column(static_cast<size_t>(sample_rows)), sorted(column.size());
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t r = 0; r < sample_rows; ++r) {
      column[static_cast<size_t>(r)] = sample[static_cast<size_t>(r * cols + j)];
    }
    // Winsorised moments: the values clipped to the sample's central 99%, so that no 0.5% of
    // the rows, however extreme, can move them; on clean data they are within a few percent of
    // the plain mean and deviation (every feature keeps about unit variance).
    // Symmetric ranks: as many values clipped at the top as at the bottom (none below 200 rows).
    sorted = column;
    const size_t clipped =
        static_cast<size_t>(std::floor(kWinsorShare * static_cast<double>(sample_rows - 1)));
    const double lo = value_of_rank(sorted, clipped);
    const double hi = value_of_rank(sorted, static_cast<size_t>(sample_rows - 1) - clipped);
    double sum = 0;
    for (double v : column) sum += std::min(hi, std::max(lo, v));
    const double mean = sum / static_cast<double>(sample_rows);
    double squares = 0;
    for (double v : column) {
      const double d = std::min(hi, std::max(lo, v)) - mean;
      squares += d * d;
    }
    double scale = std::sqrt(squares / static_cast<double>(sample_rows));
    if (!(scale > 0)) {
      // Constant within the central 99% but not outside it (a very sparse feature): the mean
      // absolute deviation from that value.
      double spread = 0;
      for (double v : column) spread += std::abs(v - mean);
      scale = 1.2533 * spread / static_cast<double>(sample_rows);
    }
    if (!(scale > 1e-12 * std::abs(mean))) {
      scale = 0;
      ++stats.constant_features;
    }
    stats.location[static_cast<size_t>(j)] = mean;
    stats.scale[static_cast<size_t>(j)] = scale;
    if (scale > 0) {
      double widest = 0;
      for (double v : column) widest = std::max(widest, std::abs(v - mean));
      stats.extreme[static_cast<size_t>(j)] = widest / scale;
    }
  }
  return stats;
}

bool standardisation_applies(const FeatureStats& stats, int64_t cols) {
  if (stats.constant_features == cols) {
    // Every account is the same on every feature: standardising would turn every row into
    // zeros and erase the one thing to report, that they are all duplicates. Compare the rows
    // as they are.
    log_info("every feature is constant: rows compared unstandardised");
    return false;
  }
  return true;  // the sweep names the file and counts the constant features it leaves out
}

std::string invalid_row_message(const std::string& file, int64_t input_row, int64_t id,
                                int64_t bad_col, float value) {
  const std::string fault = bad_col >= 0 ? fmt::format("{} in feature {}", value, bad_col)
                                         : std::string("all features zero");
  return fmt::format("{}: row {} (id {}) has {} (use --on-invalid skip to leave such rows out)",
                     file, input_row, id, fault);
}

}  // namespace unfriend
