// Threshold edges: one thread per (row, neighbour slot), warp-aggregated atomics to append.
#include "kernels/kernel_common.cuh"
#include "kernels/threshold_edges.h"

namespace unfriend::kernels {

namespace {

struct EdgePolicy {
  static constexpr int kThreads = 256;
};

__global__ void __launch_bounds__(EdgePolicy::kThreads)
    threshold_edges_kernel(ThresholdEdgesArgs args) {
  const int64_t total = args.tile.rows * args.tile.k;
  const int lane = lane_id();
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  // The loop variable is warp-uniform (blockDim is a multiple of 32), so every lane of a warp
  // runs the same rounds and the full-mask ballot below is legal.
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.x + (threadIdx.x & ~31);
       base < total; base += stride) {
    const int64_t item = base + lane;
    bool keep = false;
    int32_t from = 0, to = 0;
    if (item < total) {
      const int64_t r = item / args.tile.k;
      const int64_t i = args.tile.row_base + r;
      const int64_t j = args.tile.neighbors[item];
      // The CPU reference's order of checks: excluded rows are skipped whole, negative
      // neighbours are padding, an index past the end is an error, then the threshold.
      const bool row_included = args.include == nullptr || args.include[i] != 0;
      if (row_included && j >= args.tile.total_rows) {
        atomicMin(args.first_invalid, static_cast<unsigned long long>(item));
      } else if (row_included && j >= 0 && args.tile.values[item] >= args.min_similarity &&
                 (args.include == nullptr || args.include[j] != 0)) {
        keep = true;
        from = static_cast<int32_t>(i);
        to = static_cast<int32_t>(j);
      }
    }
    // One atomicAdd per warp instead of one per edge.
    const unsigned ballot = __ballot_sync(kFullMask, keep);
    if (ballot == 0) continue;
    unsigned long long first = 0;
    if (lane == __ffs(ballot) - 1) first = atomicAdd(args.edge_count, __popc(ballot));
    first = __shfl_sync(kFullMask, first, __ffs(ballot) - 1);
    if (keep) {
      const unsigned long long slot = first + __popc(ballot & ((1u << lane) - 1u));
      if (slot < static_cast<unsigned long long>(args.capacity)) {
        args.edges[2 * slot] = from;
        args.edges[2 * slot + 1] = to;
      }
    }
  }
}

}  // namespace

cudaError_t threshold_edges(const ThresholdEdgesArgs& args, cudaStream_t stream) {
  if (args.tile.rows < 0 || args.tile.k < 0 || args.capacity < 0 || args.edge_count == nullptr ||
      args.first_invalid == nullptr || (args.capacity > 0 && args.edges == nullptr) ||
      args.tile.row_base < 0 || args.tile.row_base + args.tile.rows > args.tile.total_rows) {
    return cudaErrorInvalidValue;
  }
  const int64_t total = args.tile.rows * args.tile.k;
  if (total == 0) return cudaSuccess;
  if (args.tile.neighbors == nullptr || args.tile.values == nullptr) return cudaErrorInvalidValue;
  threshold_edges_kernel<<<grid_stride_blocks(total, EdgePolicy::kThreads), EdgePolicy::kThreads, 0,
                           stream>>>(args);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
