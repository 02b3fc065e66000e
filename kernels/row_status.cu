// Row status: one warp per row, lanes striding over the columns (coalesced); the first bad
// column is the warp's minimum over its lanes' first bad columns.
#include <cstdint>

#include "kernels/kernel_common.cuh"
#include "kernels/row_status.h"

namespace unfriend::kernels {

namespace {

struct StatusPolicy {
  static constexpr int kWarpsPerBlock = 8;
  static constexpr int kThreads = kWarpsPerBlock * kWarpSize;
};

__global__ void __launch_bounds__(StatusPolicy::kThreads)
    row_status_kernel(const float* data, int64_t rows, int64_t cols, int32_t* status) {
  const int lane = lane_id();
  const int64_t row =
      static_cast<int64_t>(blockIdx.x) * StatusPolicy::kWarpsPerBlock + threadIdx.x / kWarpSize;
  if (row >= rows) return;
  const float* x = data + row * cols;
  int32_t first_bad = INT32_MAX;
  bool any_nonzero = false;
  for (int64_t c = lane; c < cols; c += kWarpSize) {
    const float v = x[c];
    if (!isfinite(v)) {
      first_bad = static_cast<int32_t>(c);  // the lane's columns rise: its first is its least
      break;
    }
    any_nonzero |= v != 0.f;
  }
#pragma unroll
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    first_bad = min(first_bad, __shfl_xor_sync(kFullMask, first_bad, offset));
  }
  any_nonzero = __any_sync(kFullMask, any_nonzero);
  if (lane == 0) {
    status[row] = first_bad != INT32_MAX ? first_bad : (any_nonzero ? kRowValid : kRowAllZero);
  }
}

}  // namespace

cudaError_t row_status(const float* rows_data, int64_t rows, int64_t cols, int32_t* status,
                       cudaStream_t stream) {
  if (rows < 0 || cols < 0 || cols >= INT32_MAX ||
      (rows > 0 && (rows_data == nullptr || status == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (rows == 0) return cudaSuccess;
  const unsigned blocks = static_cast<unsigned>(ceil_div(rows, StatusPolicy::kWarpsPerBlock));
  row_status_kernel<<<blocks, StatusPolicy::kThreads, 0, stream>>>(rows_data, rows, cols, status);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
