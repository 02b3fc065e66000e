// The similarity of two rows, computed the one careful way every CPU result uses.
#pragma once

#include <cstdint>

#include "host/core/knn_graph.h"

namespace unfriend {

/// Similarity of rows a and b (dims floats each) in double: the dot product for cosine and
/// inner_product, minus the squared distance for l2. FAISS's float scores depend on the BLAS
/// path and blocking; recomputing the kept neighbours with this makes the stored similarities
/// independent of block size and thread count, and exact duplicates score exactly 0 under l2.
double pair_similarity(const float* a, const float* b, int64_t dims, Metric metric);

}  // namespace unfriend
