// Launcher for per-feature standardisation on the device, in the host's float arithmetic.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace unfriend::kernels {

/// x[i, j] = (x[i, j] - shift[j]) * scale[j] in float, each operation rounded on its own (no
/// fused multiply-add), as host/pipeline/preprocess.cpp's standardize does. shift and scale
/// (device) hold cols floats (standardize_coefficients in host/core/features.h).
cudaError_t standardize_rows(float* rows_data, int64_t rows, int64_t cols, const float* shift,
                             const float* scale, cudaStream_t stream);

}  // namespace unfriend::kernels
