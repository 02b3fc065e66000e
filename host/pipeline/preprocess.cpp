#include "host/pipeline/preprocess.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "host/core/block_stream.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/core/standardized_value.h"

namespace unfriend {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

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

// Reads and checks every row into `out` (matrix, input_row, invalid_rows, read and check
// stages). Two plain buffers: the reader thread fills one while this thread checks the other.
void read_valid_rows(const RowSource& source, const PrepareOptions& options,
                     PreparedFeatures& out) {
  const int64_t rows = source.rows(), cols = source.cols();
  int64_t block_rows = options.block_rows > 0 ? options.block_rows : kDefaultPrepareBlockRows;
  block_rows = std::max<int64_t>(1, std::min(block_rows, rows));
  Matrix& matrix = out.matrix;
  matrix = Matrix(rows, cols);
  out.input_row.reserve(static_cast<size_t>(rows));

  std::vector<float> first(static_cast<size_t>(block_rows * cols));
  std::vector<float> second(first.size());
  BlockStream stream(source, block_rows, {first.data(), second.data()});
  Progress progress("read features", rows);
  double check_seconds = 0;
  int64_t kept = 0;
  BlockStream::Block block;
  while (stream.next(block)) {
    const auto start = Clock::now();
    for (int64_t r = 0; r < block.rows; ++r) {
      const float* row = block.data + r * cols;
      const int64_t input_row = block.begin + r;
      int64_t bad_col = -1;
      if (!row_is_valid(row, cols, &bad_col)) {
        if (!options.skip_invalid) {
          const int64_t id =
              options.ids.empty() ? input_row : options.ids[static_cast<size_t>(input_row)];
          throw InputError(invalid_row_message(source.name(), input_row, id, bad_col,
                                               bad_col >= 0 ? row[bad_col] : 0.f));
        }
        out.invalid_rows.push_back(input_row);
        continue;
      }
      std::copy(row, row + cols, matrix.row(kept));
      out.input_row.push_back(input_row);
      ++kept;
    }
    stream.release(block.slot);
    check_seconds += seconds_since(start);
    progress.advance(block.rows);
  }
  progress.finish();
  matrix.rows = kept;
  matrix.values.resize(static_cast<size_t>(kept * cols));
  matrix.values.shrink_to_fit();
  out.rows = kept;
  out.bytes_read = stream.bytes_read();
  out.stages.push_back(StageRate{"read", stream.bytes_read(), stream.read_seconds()});
  out.stages.push_back(StageRate{"check", stream.bytes_read(), check_seconds});
}

}  // namespace

PreparedFeatures prepare_features_on_host(const RowSource& source, const PrepareOptions& options) {
  const auto start = Clock::now();
  PreparedFeatures out;
  out.cols = source.cols();
  read_valid_rows(source, options, out);

  const auto preprocess_start = Clock::now();
  Matrix& matrix = out.matrix;
  if (options.standardize) {
    out.stats = column_stats(matrix);
    if (standardisation_applies(out.stats, matrix.cols)) {
      standardize(matrix, out.stats, options.clip);
    } else {
      out.compared_unstandardised = true;
    }
  }
  normalize_for_metric(matrix, options.metric);
  if (options.metric == Metric::inner_product) out.squared_norms = row_squared_norms(matrix);
  // Bytes: the matrix once, however many passes the steps make over it.
  out.stages.push_back(StageRate{"preprocess",
                                 static_cast<double>(matrix.values.size()) * sizeof(float),
                                 seconds_since(preprocess_start)});
  out.seconds = seconds_since(start);
  return out;
}

FeatureStats column_stats(const Matrix& matrix) {
  const int64_t rows = matrix.rows, cols = matrix.cols;
  const int64_t stride = stats_sample_stride(rows), sampled = stats_sample_rows(rows);
  std::vector<float> sample(static_cast<size_t>(sampled * cols));
  for (int64_t r = 0; r < sampled; ++r) {
    const float* row = matrix.row(r * stride);
    std::copy(row, row + cols, sample.begin() + r * cols);
  }
  return robust_feature_stats(std::move(sample), sampled, cols);
}

void standardize(Matrix& matrix, const FeatureStats& stats, double clip) {
  const int64_t cols = matrix.cols;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < matrix.rows; ++i) {
    float* row = matrix.row(i);
    for (int64_t j = 0; j < cols; ++j) {
      row[j] = standardized_value(row[j], stats.location[static_cast<size_t>(j)],
                                  stats.scale[static_cast<size_t>(j)], clip);
    }
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
