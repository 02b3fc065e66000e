// Launchers for row norms summed the host's way: in double, column by column, each product and
// sum rounded on its own. Slower than a warp-split sum (kernels/convert_rows.h normalize_rows),
// but equal to host/pipeline/preprocess.cpp bit for bit, which the prepared features promise.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace unfriend::kernels {

/// Cosine preparation: each row (rows x cols, contiguous) with norm2 = sum_j x_j * x_j > 0 is
/// multiplied by float(1 / sqrt(norm2)); rows with norm2 <= 0 stay as they are.
cudaError_t normalize_rows_sequential(float* rows_data, int64_t rows, int64_t cols,
                                      cudaStream_t stream);

/// squared_norms[r] = float(sum_j x_j * x_j) of each row (inner_product distances).
cudaError_t squared_norms_sequential(const float* rows_data, int64_t rows, int64_t cols,
                                     float* squared_norms, cudaStream_t stream);

}  // namespace unfriend::kernels
