// Sequential row norms: one thread per row, walking its columns in order (the host's order of
// additions). A warp's threads read rows cols apart; the row's cache lines stay in L1 across
// the walk, so the rereads are cheap next to the exactness they buy.
#include "kernels/kernel_common.cuh"
#include "kernels/sequential_row_norms.h"

namespace unfriend::kernels {

namespace {

struct NormPolicy {
  static constexpr int kThreads = 128;
};

__device__ __forceinline__ double row_norm2(const float* x, int64_t cols) {
  double norm2 = 0;
  for (int64_t j = 0; j < cols; ++j) {
    const double v = static_cast<double>(x[j]);
    norm2 = __dadd_rn(norm2, __dmul_rn(v, v));
  }
  return norm2;
}

__global__ void __launch_bounds__(NormPolicy::kThreads)
    normalize_rows_sequential_kernel(float* data, int64_t rows, int64_t cols) {
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float* x = data + row * cols;
    const double norm2 = row_norm2(x, cols);
    if (norm2 <= 0) continue;
    const float inv = __double2float_rn(__ddiv_rn(1.0, __dsqrt_rn(norm2)));
    for (int64_t j = 0; j < cols; ++j) x[j] = __fmul_rn(x[j], inv);
  }
}

__global__ void __launch_bounds__(NormPolicy::kThreads)
    squared_norms_sequential_kernel(const float* data, int64_t rows, int64_t cols, float* out) {
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[row] = __double2float_rn(row_norm2(data + row * cols, cols));
  }
}

}  // namespace

cudaError_t normalize_rows_sequential(float* rows_data, int64_t rows, int64_t cols,
                                      cudaStream_t stream) {
  if (rows < 0 || cols < 0 || (rows > 0 && cols > 0 && rows_data == nullptr)) {
    return cudaErrorInvalidValue;
  }
  if (rows == 0 || cols == 0) return cudaSuccess;
  normalize_rows_sequential_kernel<<<grid_stride_blocks(rows, NormPolicy::kThreads),
                                     NormPolicy::kThreads, 0, stream>>>(rows_data, rows, cols);
  return cudaGetLastError();
}

cudaError_t squared_norms_sequential(const float* rows_data, int64_t rows, int64_t cols,
                                     float* squared_norms, cudaStream_t stream) {
  if (rows < 0 || cols < 0 ||
      (rows > 0 && (squared_norms == nullptr || (cols > 0 && rows_data == nullptr)))) {
    return cudaErrorInvalidValue;
  }
  if (rows == 0) return cudaSuccess;
  squared_norms_sequential_kernel<<<grid_stride_blocks(rows, NormPolicy::kThreads),
                                    NormPolicy::kThreads, 0, stream>>>(rows_data, rows, cols,
                                                                       squared_norms);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
