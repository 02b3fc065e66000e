// Loading and preprocessing on the host (the reference every backend matches): features from a
// RowSource into one float32 matrix, per-feature standardisation, and normalisation for the
// chosen metric.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/core/features.h"
#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

/// The reference preparation of the features for the kNN search, on the host: reads `source`
/// in blocks of options.block_rows (the next block is read while the current one is checked),
/// checks every row (NaN, Inf or all zeros: an InputError naming the file, row and id, or, with
/// options.skip_invalid, left out and listed in invalid_rows), then column_stats and
/// standardize (options.standardize; not when every feature is constant), normalize_for_metric
/// and, for inner_product, the squared norms. Stages "read", "check" and "preprocess" are
/// reported with their bytes and busy seconds.
PreparedFeatures prepare_features_on_host(const RowSource& source, const PrepareOptions& options);

/// Winsorised mean and deviation of each column (robust_feature_stats) from the fixed sample of
/// rows (stats_sample_stride), so the result does not depend on thread count, read block size
/// or backend, and no few rows can move it.
FeatureStats column_stats(const Matrix& matrix);

/// Every value standardised and clipped (standardized_value; constant features become 0).
void standardize(Matrix& matrix, const FeatureStats& stats, double clip);

/// Cosine: scales each row to unit length (an all-zero row stays zero). Other metrics: no-op.
void normalize_for_metric(Matrix& matrix, Metric metric);

/// Squared L2 norm of every row (used to turn inner products into distances).
std::vector<float> row_squared_norms(const Matrix& matrix);

}  // namespace unfriend
