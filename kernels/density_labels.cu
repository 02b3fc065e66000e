// kNN-DBSCAN core marking and border attachment: one thread per row, a row's neighbours read
// in order (the nearest qualifying core neighbour wins, as in the CPU reference).
#include "kernels/density_labels.h"
#include "kernels/kernel_common.cuh"

namespace unfriend::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    mark_core_kernel(const float* core_distance, int64_t rows, double eps, uint8_t* core) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < rows;
       i += stride) {
    core[i] = static_cast<double>(core_distance[i]) <= eps ? 1 : 0;
  }
}

__global__ void __launch_bounds__(kThreads)
    attach_border_kernel(GraphTile tile, const uint8_t* core, double eps, int64_t* labels) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < tile.rows;
       r += stride) {
    const int64_t i = tile.row_base + r;
    if (core[i] != 0) continue;
    const int64_t* neighbors = tile.neighbors + r * tile.k;
    const float* distances = tile.values + r * tile.k;
    for (int j = 0; j < tile.k; ++j) {
      const int64_t other = neighbors[j];
      if (other < 0 || other >= tile.total_rows || !(static_cast<double>(distances[j]) <= eps)) {
        break;
      }
      if (core[other] != 0) {
        labels[i] = labels[other];
        break;
      }
    }
  }
}

}  // namespace

cudaError_t mark_core(const float* core_distance, int64_t rows, double eps, uint8_t* core,
                      cudaStream_t stream) {
  if (rows < 0 || (rows > 0 && (core_distance == nullptr || core == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (rows == 0) return cudaSuccess;
  mark_core_kernel<<<grid_stride_blocks(rows, kThreads), kThreads, 0, stream>>>(core_distance, rows,
                                                                                eps, core);
  return cudaGetLastError();
}

cudaError_t attach_border(const GraphTile& tile, const uint8_t* core, double eps, int64_t* labels,
                          cudaStream_t stream) {
  if (tile.rows < 0 || tile.k < 0 || tile.row_base < 0 ||
      tile.row_base + tile.rows > tile.total_rows) {
    return cudaErrorInvalidValue;
  }
  if (tile.rows == 0 || tile.k == 0) return cudaSuccess;
  if (tile.neighbors == nullptr || tile.values == nullptr || core == nullptr || labels == nullptr) {
    return cudaErrorInvalidValue;
  }
  attach_border_kernel<<<grid_stride_blocks(tile.rows, kThreads), kThreads, 0, stream>>>(
      tile, core, eps, labels);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
