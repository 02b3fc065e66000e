// How good an approximate kNN graph is: recall@k against exact search on a sample of rows.
#pragma once

#include <cstdint>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

/// Recall@k of `approx` (the kNN graph of `data`, k = approx.k) measured on sample_rows rows
/// drawn deterministically from `seed` (all rows when sample_rows >= rows): the exact neighbours
/// of each sampled row come from FAISS brute force (self excluded), and
/// recall = |approx ∩ exact| / |exact| summed over the sample. Tie-tolerant: an approximate
/// neighbour whose true similarity (recomputed in double) is >= the k-th exact similarity,
/// minus 1e-6 relative, counts as a hit even when exact search picked an equal neighbour.
/// Returns 1 when there is nothing to find (no sampled row has a neighbour).
/// Throws InputError when approx does not match data.
double knn_recall_on_sample(MatrixView data, const KnnGraph& approx, Metric metric,
                            int64_t sample_rows, uint64_t seed);

}  // namespace unfriend
