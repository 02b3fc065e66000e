// Launchers for row conversions: fp32 rows to fp16/bf16 GEMM operands (scaled, zero-padded,
// with squared norms), and in-place normalisation to unit length.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/kernel_types.h"

namespace unfriend::kernels {

/// out[r * ld_out + c] = round(scale * in[r * ld_in + c]) in `type` for c < cols, 0 for
/// cols <= c < ld_out (the zero padding does not change dot products and keeps every row
/// 16-byte aligned for the tensor cores). When sq_norms is set it receives
/// sum_c (scale * in[r, c])^2 in fp32. Rounding is to nearest even. `out` holds the 16-bit
/// patterns (__half or __nv_bfloat16). ld_out >= cols.
cudaError_t convert_rows(const float* in, int64_t rows, int64_t cols, int64_t ld_in, uint16_t* out,
                         int64_t ld_out, ReducedType type, float scale, float* sq_norms,
                         cudaStream_t stream);

/// Divides every row of rows x cols (contiguous) by its Euclidean norm; all-zero rows stay zero.
cudaError_t normalize_rows(float* rows_data, int64_t rows, int64_t cols, cudaStream_t stream);

}  // namespace unfriend::kernels
