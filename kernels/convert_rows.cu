// Row conversion kernels: one warp per row, lanes striding over the columns (coalesced).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/convert_rows.h"
#include "kernels/kernel_common.cuh"

namespace unfriend::kernels {

namespace {

struct RowPolicy {
  static constexpr int kWarpsPerBlock = 8;
  static constexpr int kThreads = kWarpsPerBlock * kWarpSize;
};

template <typename Reduced>
__device__ __forceinline__ Reduced to_reduced(float x);
template <>
__device__ __forceinline__ __half to_reduced<__half>(float x) {
  return __float2half_rn(x);
}
template <>
__device__ __forceinline__ __nv_bfloat16 to_reduced<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}

template <typename Reduced>
__global__ void __launch_bounds__(RowPolicy::kThreads)
    convert_rows_kernel(const float* in, int64_t rows, int64_t cols, int64_t ld_in, Reduced* out,
                        int64_t ld_out, float scale, float* sq_norms) {
  const int lane = lane_id();
  const int64_t row =
      static_cast<int64_t>(blockIdx.x) * RowPolicy::kWarpsPerBlock + threadIdx.x / kWarpSize;
  if (row >= rows) return;
  const float* src = in + row * ld_in;
  Reduced* dst = out + row * ld_out;
  float sum = 0.f;
  for (int64_t c = lane; c < ld_out; c += kWarpSize) {
    const float x = c < cols ? scale * src[c] : 0.f;
    dst[c] = to_reduced<Reduced>(x);
    sum = fmaf(x, x, sum);
  }
  if (sq_norms != nullptr) {
    sum = warp_sum(sum);
    if (lane == 0) sq_norms[row] = sum;
  }
}

__global__ void __launch_bounds__(RowPolicy::kThreads)
    normalize_rows_kernel(float* data, int64_t rows, int64_t cols) {
  const int lane = lane_id();
  const int64_t row =
      static_cast<int64_t>(blockIdx.x) * RowPolicy::kWarpsPerBlock + threadIdx.x / kWarpSize;
  if (row >= rows) return;
  float* x = data + row * cols;
  // Accumulate in double: the norm of a long row should not depend on the lane split.
  double sum = 0;
  for (int64_t c = lane; c < cols; c += kWarpSize) sum += static_cast<double>(x[c]) * x[c];
  sum = warp_sum(sum);
  if (sum <= 0) return;
  const float inv = static_cast<float>(1.0 / sqrt(sum));
  for (int64_t c = lane; c < cols; c += kWarpSize) x[c] *= inv;
}

}  // namespace

cudaError_t convert_rows(const float* in, int64_t rows, int64_t cols, int64_t ld_in, uint16_t* out,
                         int64_t ld_out, ReducedType type, float scale, float* sq_norms,
                         cudaStream_t stream) {
  if (rows < 0 || cols < 0 || ld_out < cols || (rows > 1 && ld_in < cols) ||
      (rows > 0 && (in == nullptr || out == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (rows == 0) return cudaSuccess;
  const unsigned blocks = static_cast<unsigned>(ceil_div(rows, RowPolicy::kWarpsPerBlock));
  if (type == ReducedType::fp16) {
    convert_rows_kernel<__half><<<blocks, RowPolicy::kThreads, 0, stream>>>(
        in, rows, cols, ld_in, reinterpret_cast<__half*>(out), ld_out, scale, sq_norms);
  } else {
    convert_rows_kernel<__nv_bfloat16><<<blocks, RowPolicy::kThreads, 0, stream>>>(
        in, rows, cols, ld_in, reinterpret_cast<__nv_bfloat16*>(out), ld_out, scale, sq_norms);
  }
  return cudaGetLastError();
}

cudaError_t normalize_rows(float* rows_data, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows < 0 || cols < 0 || (rows > 0 && rows_data == nullptr)) return cudaErrorInvalidValue;
  if (rows == 0 || cols == 0) return cudaSuccess;
  const unsigned blocks = static_cast<unsigned>(ceil_div(rows, RowPolicy::kWarpsPerBlock));
  normalize_rows_kernel<<<blocks, RowPolicy::kThreads, 0, stream>>>(rows_data, rows, cols);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
