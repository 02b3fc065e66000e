// Seeded Lloyd k-means on the CPU, scored with the fused tile kernel: the partition behind the
// IVF search.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

/// Centroids ([lists x dims], row-major) of `lists` clusters of the rows of `train`: started at
/// `lists` distinct rows drawn from `seed`, then `iterations` rounds of assigning every row to
/// its nearest centroid (nearest_centroids) and moving each centroid to the mean of its rows
/// (summed in double, in row order). With `spherical`, centroids are scaled back to unit length
/// (cosine). A centroid left without rows takes half of the largest cluster (the largest's
/// centroid, nudged apart in opposite directions), as FAISS does. Deterministic for a seed,
/// whatever the thread count. Needs 1 <= lists <= train.rows.
std::vector<float> train_kmeans(MatrixView train, int lists, int iterations, bool spherical,
                                Metric metric, uint64_t seed);

/// For every row of `rows`, the nearest of the `centroids` rows: highest dot product for cosine
/// and inner_product, least squared distance for l2; ties to the lower centroid. Parallel over
/// rows.
std::vector<int64_t> nearest_centroids(MatrixView rows, MatrixView centroids, Metric metric);

/// For every centroid, its `width` nearest centroids (itself first, then by similarity, ties to
/// the lower index), as nearest_centroids orders them: [centroids.rows x width].
std::vector<int64_t> nearest_centroid_lists(MatrixView centroids, int width, Metric metric);

}  // namespace unfriend
