// Column chunk sums: one thread per (chunk, column), summing down its column sequentially so
// that the order of additions is the host's. Neighbouring threads take neighbouring columns of
// the same rows, so each step of a warp reads consecutive floats.
#include "kernels/column_chunk_sums.h"
#include "kernels/kernel_common.cuh"

namespace unfriend::kernels {

namespace {

struct SumsPolicy {
  static constexpr int kThreads = 256;
};

__global__ void __launch_bounds__(SumsPolicy::kThreads)
    column_chunk_sums_kernel(const float* data, int64_t rows, int64_t cols, int64_t chunk_rows,
                             int64_t chunks, const double* mean, double* partial) {
  const int64_t items = chunks * cols;
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < items;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t chunk = t / cols, col = t % cols;
    const int64_t begin = chunk * chunk_rows;
    const int64_t end = min(rows, begin + chunk_rows);
    const float* x = data + col;
    double sum = 0;
    if (mean == nullptr) {
      for (int64_t i = begin; i < end; ++i) sum = __dadd_rn(sum, static_cast<double>(x[i * cols]));
    } else {
      const double m = mean[col];
      for (int64_t i = begin; i < end; ++i) {
        const double d = __dsub_rn(static_cast<double>(x[i * cols]), m);
        sum = __dadd_rn(sum, __dmul_rn(d, d));
      }
    }
    partial[t] = sum;
  }
}

}  // namespace

cudaError_t column_chunk_sums(const float* rows_data, int64_t rows, int64_t cols,
                              int64_t chunk_rows, const double* mean, double* partial,
                              cudaStream_t stream) {
  if (rows < 0 || cols < 0 || chunk_rows <= 0 ||
      (rows > 0 && cols > 0 && (rows_data == nullptr || partial == nullptr))) {
    return cudaErrorInvalidValue;
  }
  const int64_t chunks = ceil_div(rows, chunk_rows);
  if (chunks == 0 || cols == 0) return cudaSuccess;
  const unsigned blocks = grid_stride_blocks(chunks * cols, SumsPolicy::kThreads);
  column_chunk_sums_kernel<<<blocks, SumsPolicy::kThreads, 0, stream>>>(
      rows_data, rows, cols, chunk_rows, chunks, mean, partial);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
