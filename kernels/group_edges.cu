// Per-row edge statistics of groups: one thread per row walks its k neighbours in slot order,
// so every row's partial sum is formed in one fixed order (deterministic, no atomics).
#include <cmath>

#include "kernels/group_edges.h"
#include "kernels/kernel_common.cuh"

namespace unfriend::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads) group_row_edges_kernel(GroupEdgeArgs args) {
  const GraphTile& tile = args.tile;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < tile.rows;
       r += stride) {
    const int64_t i = tile.row_base + r;
    const int64_t group = args.label[i];
    int64_t inside = 0, outside = 0;
    double sum = 0;
    float minimum = INFINITY;
    if (group >= 0) {
      for (int j = 0; j < tile.k; ++j) {
        const int64_t item = r * tile.k + j;
        const int64_t other = tile.neighbors[item];
        if (other < 0) continue;
        if (other >= tile.total_rows) {
          atomicMin(args.first_invalid,
                    static_cast<unsigned long long>(tile.row_base * tile.k + item));
          continue;
        }
        if (args.label[other] == group) {
          const float s = tile.values[item];
          sum = __dadd_rn(sum, static_cast<double>(s));
          minimum = fminf(minimum, s);
          ++inside;
        } else {
          ++outside;
        }
      }
    }
    args.inside_count[i] = inside;
    args.inside_sum[i] = sum;
    args.inside_min[i] = minimum;
    if (args.outside_count != nullptr) args.outside_count[i] = outside;
  }
}

__global__ void __launch_bounds__(kThreads)
    group_halo_keys_kernel(GraphTile tile, const int64_t* label, const int64_t* row_offset,
                           uint64_t* keys) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < tile.rows;
       r += stride) {
    const int64_t i = tile.row_base + r;
    const int64_t group = label[i];
    if (group < 0) continue;
    int64_t out = row_offset[i];
    for (int j = 0; j < tile.k; ++j) {
      const int64_t other = tile.neighbors[r * tile.k + j];
      if (other < 0 || other >= tile.total_rows || label[other] == group) continue;
      keys[out++] = (static_cast<uint64_t>(group) << 32) | static_cast<uint64_t>(other);
    }
  }
}

bool valid_tile(const GraphTile& tile) {
  return tile.rows >= 0 && tile.k >= 0 && tile.row_base >= 0 &&
         tile.row_base + tile.rows <= tile.total_rows &&
         (tile.rows * tile.k == 0 || tile.neighbors != nullptr);
}

}  // namespace

cudaError_t group_row_edges(const GroupEdgeArgs& args, cudaStream_t stream) {
  if (!valid_tile(args.tile) || args.label == nullptr || args.inside_count == nullptr ||
      args.inside_sum == nullptr || args.inside_min == nullptr || args.first_invalid == nullptr ||
      (args.tile.rows * args.tile.k > 0 && args.tile.values == nullptr)) {
    return cudaErrorInvalidValue;
  }
  if (args.tile.rows == 0) return cudaSuccess;
  group_row_edges_kernel<<<grid_stride_blocks(args.tile.rows, kThreads), kThreads, 0, stream>>>(
      args);
  return cudaGetLastError();
}

cudaError_t group_halo_keys(const GraphTile& tile, const int64_t* label, const int64_t* row_offset,
                            uint64_t* keys, cudaStream_t stream) {
  if (!valid_tile(tile) || label == nullptr || row_offset == nullptr) return cudaErrorInvalidValue;
  if (tile.rows == 0 || tile.k == 0) return cudaSuccess;
  group_halo_keys_kernel<<<grid_stride_blocks(tile.rows, kThreads), kThreads, 0, stream>>>(
      tile, label, row_offset, keys);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
