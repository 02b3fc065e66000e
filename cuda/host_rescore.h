// Exact re-scoring of GPU candidate lists on the host, for plans whose fp32 rows do not fit on
// the device. The same rule as the device kernel (kernels/rescore.cu) and the CPU backend:
// similarity in double (dot product, or minus the squared distance), rounded to float, rows
// sorted by (similarity desc, index asc), padded with -1 / -inf.
#pragma once

#include <cstdint>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend::gpu {

/// For query rows first_row .. first_row + count - 1 of `data`: candidates[q * queue_length ..]
/// are database rows of `data` (kernels::kPadIndex or any index outside [0, data.rows) is an
/// empty slot; no index repeats in a row). Writes the best k of each row into
/// out_neighbors / out_similarity [count x k]. Runs on `threads` threads (0: all cores).
void rescore_on_host(MatrixView data, Metric metric, int64_t first_row, int64_t count,
                     const int32_t* candidates, int queue_length, int k, int64_t* out_neighbors,
                     float* out_similarity, int threads);

}  // namespace unfriend::gpu
