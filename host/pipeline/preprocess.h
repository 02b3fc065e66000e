// Loading and preprocessing: features from HDF5 into one float32 matrix, per-feature
// standardisation, and normalisation for the chosen metric.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

class FeatureReader;

/// Per-feature statistics of the assessed rows.
struct FeatureStats {
  std::vector<double> mean;
  std::vector<double> deviation;  // population standard deviation; 0 for constant features
  int64_t constant_features = 0;
};

/// The assessed rows of an input, in input order, with the map back to input rows.
struct LoadedFeatures {
  Matrix matrix;                      // only assessed (valid) rows
  std::vector<int64_t> input_row;     // assessed row -> input row
  std::vector<int64_t> invalid_rows;  // input rows left out (--on-invalid skip)
  double read_seconds = 0;
  double bytes_read = 0;
};

/// Reads every row in blocks of `block_rows` (0: the reader's suggestion). Rows with NaN, Inf or
/// all zeros are an InputError naming the file, row and id (skip_invalid = false), or are left
/// out and listed in invalid_rows (skip_invalid = true). Never holds more than one block in a
/// wider type than float32.
LoadedFeatures load_features(const FeatureReader& reader, const std::vector<int64_t>& ids,
                             int64_t block_rows, bool skip_invalid);

/// Mean and deviation of each column, computed in double over fixed row chunks combined in
/// order, so the result does not depend on thread count or read block size.
FeatureStats column_stats(const Matrix& matrix);

/// x = (x - mean) / deviation for each feature (constant features become 0).
void standardize(Matrix& matrix, const FeatureStats& stats);

/// Cosine: scales each row to unit length (an all-zero row stays zero). Other metrics: no-op.
void normalize_for_metric(Matrix& matrix, Metric metric);

/// Squared L2 norm of every row (used to turn inner products into distances).
std::vector<float> row_squared_norms(const Matrix& matrix);

}  // namespace unfriend
