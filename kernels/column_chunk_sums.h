// Launcher for the per-chunk column sums behind the feature statistics: the device does the
// long sequential sums, the host adds the few chunk partials in order (sum_chunk_partials in
// host/core/features.h), so the statistics equal the host's column_stats bit for bit.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace unfriend::kernels {

/// For chunk c (rows [c * chunk_rows, min(rows, (c + 1) * chunk_rows))) and column j:
/// partial[c * cols + j] = the sum over the chunk's rows in row order, in double starting from
/// 0, of x[i, j] (mean == nullptr) or of (x[i, j] - mean[j])^2 (the difference and the square in
/// double, each rounded on its own: no fused multiply-add). `partial` holds
/// ceil(rows / chunk_rows) * cols doubles; `mean` (device) holds cols.
cudaError_t column_chunk_sums(const float* rows_data, int64_t rows, int64_t cols,
                              int64_t chunk_rows, const double* mean, double* partial,
                              cudaStream_t stream);

}  // namespace unfriend::kernels
