// Standardisation: a grid-stride loop over the values (the layout does not matter to it).
#include "host/core/standardized_value.h"
#include "kernels/kernel_common.cuh"
#include "kernels/standardize_rows.h"

namespace unfriend::kernels {

namespace {

struct StandardizePolicy {
  static constexpr int kThreads = 256;
};

__global__ void __launch_bounds__(StandardizePolicy::kThreads)
    standardize_rows_kernel(float* data, int64_t values, int64_t cols, const double* location,
                            const double* scale, double clip) {
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < values;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t col = t % cols;
    // IEEE double subtraction and division, no contraction to be had: the host's bits.
    data[t] = standardized_value(data[t], location[col], scale[col], clip);
  }
}

}  // namespace

cudaError_t standardize_rows(float* rows_data, int64_t rows, int64_t cols, const double* location,
                             const double* scale, double clip, cudaStream_t stream) {
  if (rows < 0 || cols < 0 ||
      (rows > 0 && cols > 0 && (rows_data == nullptr || location == nullptr || scale == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (rows == 0 || cols == 0) return cudaSuccess;
  const int64_t values = rows * cols;
  standardize_rows_kernel<<<grid_stride_blocks(values, StandardizePolicy::kThreads),
                            StandardizePolicy::kThreads, 0, stream>>>(rows_data, values, cols,
                                                                      location, scale, clip);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
