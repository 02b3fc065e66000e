// Launcher for the input check of rows on the device: which rows the sweep may assess (every
// value finite, at least one non-zero), and why the others may not.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace unfriend::kernels {

/// Status of a valid row.
constexpr int32_t kRowValid = -1;
/// Status of a row whose values are all zero (and finite).
constexpr int32_t kRowAllZero = -2;

/// status[r] for each of `rows` rows (row-major, `cols` wide, contiguous): the first column
/// holding NaN or +-Inf, else kRowAllZero when every value is zero, else kRowValid. The host
/// check (row_is_valid in host/pipeline/preprocess.cpp) decides the same way. cols < 2^31.
cudaError_t row_status(const float* rows_data, int64_t rows, int64_t cols, int32_t* status,
                       cudaStream_t stream);

}  // namespace unfriend::kernels
