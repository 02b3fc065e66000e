// The preprocessing arithmetic every backend shares (see features.h): kept in one place so that
// a device path and the host reference cannot drift apart.
#include "host/core/features.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "host/core/progress.h"

namespace unfriend {

std::vector<double> sum_chunk_partials(const std::vector<double>& partial, int64_t chunks,
                                       int64_t cols) {
  std::vector<double> total(static_cast<size_t>(cols), 0.0);
  for (int64_t c = 0; c < chunks; ++c) {
    for (int64_t j = 0; j < cols; ++j) total[j] += partial[c * cols + j];
  }
  return total;
}

std::vector<double> column_means(const std::vector<double>& sums, int64_t rows) {
  std::vector<double> mean(sums.size(), 0.0);
  if (rows == 0) return mean;
  for (size_t j = 0; j < sums.size(); ++j) mean[j] = sums[j] / rows;
  return mean;
}

FeatureStats feature_stats_from_sums(std::vector<double> mean, const std::vector<double>& squares,
                                     int64_t rows) {
  FeatureStats stats;
  stats.deviation.assign(mean.size(), 0.0);
  stats.mean = std::move(mean);
  if (rows == 0) return stats;
  for (size_t j = 0; j < stats.mean.size(); ++j) {
    stats.deviation[j] = std::sqrt(squares[j] / rows);
    // A feature that barely varies relative to its magnitude carries no signal, only rounding.
    if (!(stats.deviation[j] > 1e-12 * std::max(1.0, std::abs(stats.mean[j])))) {
      stats.deviation[j] = 0;
      ++stats.constant_features;
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
  if (stats.constant_features > 0) {
    log_info(fmt::format("{} constant features carry no signal and were zeroed",
                         stats.constant_features));
  }
  return true;
}

void standardize_coefficients(const FeatureStats& stats, std::vector<float>* shift,
                              std::vector<float>* scale) {
  const size_t cols = stats.mean.size();
  shift->resize(cols);
  scale->resize(cols);
  for (size_t j = 0; j < cols; ++j) {
    (*scale)[j] = stats.deviation[j] > 0 ? static_cast<float>(1.0 / stats.deviation[j]) : 0.f;
    (*shift)[j] = static_cast<float>(stats.mean[j]);
  }
}

std::string invalid_row_message(const std::string& file, int64_t input_row, int64_t id,
                                int64_t bad_col, float value) {
  const std::string fault = bad_col >= 0 ? fmt::format("{} in feature {}", value, bad_col)
                                         : std::string("all features zero");
  return fmt::format("{}: row {} (id {}) has {} (use --on-invalid skip to leave such rows out)",
                     file, input_row, id, fault);
}

}  // namespace unfriend
