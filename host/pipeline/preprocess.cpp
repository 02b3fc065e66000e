#include "host/pipeline/preprocess.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/io/feature_reader.h"

namespace unfriend {

namespace {
// Statistics are summed over fixed chunks of rows and the chunks combined in order: the same
// floating-point operations whatever the thread count or the read block size.
constexpr int64_t kStatsChunkRows = 8192;

bool row_is_valid(const float* row, int64_t cols, int64_t* bad_col) {
  bool any_nonzero = false;
  for (int64_t j = 0; j < cols; ++j) {
    if (!std::isfinite(row[j])) {
      *bad_col = j;
      return false;
    }
    any_nonzero |= row[j] != 0.f;
  }
  *bad_col = -1;
  return any_nonzero;
}
}  // namespace

LoadedFeatures load_features(const FeatureReader& reader, const std::vector<int64_t>& ids,
                             int64_t block_rows, bool skip_invalid) {
  const InputInfo& info = reader.info();
  const int64_t rows = info.rows, cols = info.cols;
  if (block_rows <= 0) block_rows = reader.suggested_block_rows();
  block_rows = std::max<int64_t>(1, std::min(block_rows, rows));

  auto start = std::chrono::steady_clock::now();
  LoadedFeatures loaded;
  loaded.matrix = Matrix(rows, cols);
  loaded.input_row.reserve(static_cast<size_t>(rows));
  Progress progress("read features", rows);
  std::vector<float> block(static_cast<size_t>(block_rows * cols));
  int64_t kept = 0;
  for (int64_t begin = 0; begin < rows; begin += block_rows) {
    int64_t count = std::min(block_rows, rows - begin);
    reader.read_rows(begin, count, block.data());
    for (int64_t r = 0; r < count; ++r) {
      const float* row = block.data() + r * cols;
      int64_t bad_col = -1;
      if (!row_is_valid(row, cols, &bad_col)) {
        int64_t input_row = begin + r;
        if (!skip_invalid) {
          std::string fault = bad_col >= 0 ? fmt::format("{} in feature {}", row[bad_col], bad_col)
                                           : std::string("all features zero");
          throw InputError(fmt::format(
              "{}: row {} (id {}) has {} (use --on-invalid skip to leave such rows out)",
              info.file, input_row, ids[static_cast<size_t>(input_row)], fault));
        }
        loaded.invalid_rows.push_back(input_row);
        continue;
      }
      std::copy(row, row + cols, loaded.matrix.row(kept));
      loaded.input_row.push_back(begin + r);
      ++kept;
    }
    progress.advance(count);
  }
  progress.finish();
  loaded.matrix.rows = kept;
  loaded.matrix.values.resize(static_cast<size_t>(kept * cols));
  loaded.matrix.values.shrink_to_fit();
  loaded.read_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  loaded.bytes_read = static_cast<double>(rows) * cols * 4;
  return loaded;
}

FeatureStats column_stats(const Matrix& matrix) {
  const int64_t rows = matrix.rows, cols = matrix.cols;
  const int64_t chunks = (rows + kStatsChunkRows - 1) / kStatsChunkRows;
  FeatureStats stats;
  stats.mean.assign(static_cast<size_t>(cols), 0.0);
  stats.deviation.assign(static_cast<size_t>(cols), 0.0);
  if (rows == 0) return stats;

  // Two passes (mean, then squared deviations) for accuracy; each pass sums chunk partials.
  std::vector<double> partial(static_cast<size_t>(chunks * cols));
  auto chunk_sums = [&](auto&& term) {
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      double* out = partial.data() + c * cols;
      std::fill(out, out + cols, 0.0);
      int64_t end = std::min(rows, (c + 1) * kStatsChunkRows);
      for (int64_t i = c * kStatsChunkRows; i < end; ++i) {
        const float* row = matrix.row(i);
        for (int64_t j = 0; j < cols; ++j) out[j] += term(row[j], j);
      }
    }
    std::vector<double> total(static_cast<size_t>(cols), 0.0);
    for (int64_t c = 0; c < chunks; ++c) {
      for (int64_t j = 0; j < cols; ++j) total[j] += partial[c * cols + j];
    }
    return total;
  };
  auto sums = chunk_sums([](float v, int64_t) { return static_cast<double>(v); });
  for (int64_t j = 0; j < cols; ++j) stats.mean[j] = sums[j] / rows;
  auto squares = chunk_sums([&](float v, int64_t j) {
    double d = v - stats.mean[j];
    return d * d;
  });
  for (int64_t j = 0; j < cols; ++j) {
    stats.deviation[j] = std::sqrt(squares[j] / rows);
    // A feature that barely varies relative to its magnitude carries no signal, only rounding.
    if (!(stats.deviation[j] > 1e-12 * std::max(1.0, std::abs(stats.mean[j])))) {
      stats.deviation[j] = 0;
      ++stats.constant_features;
    }
  }
  return stats;
}

void standardize(Matrix& matrix, const FeatureStats& stats) {
  const int64_t cols = matrix.cols;
  std::vector<float> scale(static_cast<size_t>(cols)), shift(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) {
    scale[j] = stats.deviation[j] > 0 ? static_cast<float>(1.0 / stats.deviation[j]) : 0.f;
    shift[j] = static_cast<float>(stats.mean[j]);
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < matrix.rows; ++i) {
    float* row = matrix.row(i);
    for (int64_t j = 0; j < cols; ++j) row[j] = (row[j] - shift[j]) * scale[j];
  }
}

void normalize_for_metric(Matrix& matrix, Metric metric) {
  if (metric != Metric::cosine) return;
  const int64_t cols = matrix.cols;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < matrix.rows; ++i) {
    float* row = matrix.row(i);
    double norm2 = 0;
    for (int64_t j = 0; j < cols; ++j) norm2 += static_cast<double>(row[j]) * row[j];
    if (norm2 <= 0) continue;
    float inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (int64_t j = 0; j < cols; ++j) row[j] *= inv;
  }
}

std::vector<float> row_squared_norms(const Matrix& matrix) {
  std::vector<float> norms(static_cast<size_t>(matrix.rows));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < matrix.rows; ++i) {
    const float* row = matrix.row(i);
    double norm2 = 0;
    for (int64_t j = 0; j < matrix.cols; ++j) norm2 += static_cast<double>(row[j]) * row[j];
    norms[i] = static_cast<float>(norm2);
  }
  return norms;
}

}  // namespace unfriend
