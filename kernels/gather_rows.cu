// Row gather: a grid-stride loop over the output values; consecutive threads copy consecutive
// columns of one row, so reads and writes are coalesced.
#include "kernels/gather_rows.h"
#include "kernels/kernel_common.cuh"

namespace unfriend::kernels {

namespace {

struct GatherPolicy {
  static constexpr int kThreads = 256;
};

__global__ void __launch_bounds__(GatherPolicy::kThreads)
    gather_rows_kernel(const float* in, int64_t cols, const int64_t* index, int64_t values,
                       float* out) {
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < values;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = t / cols, col = t % cols;
    out[t] = in[index[row] * cols + col];
  }
}

}  // namespace

cudaError_t gather_rows(const float* in, int64_t cols, const int64_t* index, int64_t count,
                        float* out, cudaStream_t stream) {
  if (cols < 0 || count < 0 ||
      (count > 0 && cols > 0 && (in == nullptr || index == nullptr || out == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (count == 0 || cols == 0) return cudaSuccess;
  const int64_t values = count * cols;
  gather_rows_kernel<<<grid_stride_blocks(values, GatherPolicy::kThreads), GatherPolicy::kThreads,
                       0, stream>>>(in, cols, index, values, out);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
