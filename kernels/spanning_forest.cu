// One Boruvka round: per-component lightest leaving edge by two 64-bit atomicMin passes (the
// weight's bits and the smaller endpoint, then the larger endpoint), then the picked edges.
// Non-negative floats order as their bit patterns, so the packed key orders as the forest does.
#include "host/core/mutual_reachability.h"
#include "kernels/kernel_common.cuh"
#include "kernels/spanning_forest.h"

namespace unfriend::kernels {

namespace {

struct ForestPolicy {
  static constexpr int kThreads = 256;
};

__device__ __forceinline__ bool entry_weight(const GraphTile& tile, const float* core_distance,
                                             int64_t cell, int64_t* row, int64_t* other,
                                             float* weight) {
  const int64_t nb = tile.neighbors[cell];
  if (nb < 0) return false;
  *row = tile.row_base + cell / tile.k;
  *other = nb;
  *weight = mutual_reachability(tile.values[cell], core_distance[*row], core_distance[nb]);
  return isfinite(*weight);
}

__device__ __forceinline__ unsigned long long weight_lo_key(float weight, int64_t lo) {
  return (static_cast<unsigned long long>(__float_as_uint(weight)) << 32) |
         static_cast<unsigned long long>(static_cast<uint32_t>(lo));
}

// Grid-stride over a tile's entries that join two components with a finite weight: body(ci,
// co, key, hi) with the components of both ends, the (weight, lo) key and the larger end.
template <typename Body>
__device__ __forceinline__ void for_each_leaving_entry(const GraphTile& tile,
                                                       const float* core_distance,
                                                       const int64_t* component, Body body) {
  const int64_t cells = tile.rows * tile.k;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t cell = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; cell < cells;
       cell += stride) {
    int64_t row, other;
    float weight;
    if (!entry_weight(tile, core_distance, cell, &row, &other, &weight)) continue;
    const int64_t ci = component[row], co = component[other];
    if (ci == co) continue;
    body(ci, co, weight_lo_key(weight, row < other ? row : other),
         static_cast<unsigned long long>(row < other ? other : row));
  }
}

__global__ void __launch_bounds__(ForestPolicy::kThreads)
    offer_weight_kernel(GraphTile tile, const float* core_distance, const int64_t* component,
                        unsigned long long* best_weight_lo) {
  for_each_leaving_entry(tile, core_distance, component,
                         [&](int64_t ci, int64_t co, unsigned long long key, unsigned long long) {
                           atomicMin(best_weight_lo + ci, key);
                           atomicMin(best_weight_lo + co, key);
                         });
}

__global__ void __launch_bounds__(ForestPolicy::kThreads)
    offer_hi_kernel(GraphTile tile, const float* core_distance, const int64_t* component,
                    const unsigned long long* best_weight_lo, unsigned long long* best_hi) {
  for_each_leaving_entry(
      tile, core_distance, component,
      [&](int64_t ci, int64_t co, unsigned long long key, unsigned long long hi) {
        if (best_weight_lo[ci] == key) atomicMin(best_hi + ci, hi);
        if (best_weight_lo[co] == key) atomicMin(best_hi + co, hi);
      });
}

__global__ void __launch_bounds__(ForestPolicy::kThreads)
    pick_kernel(const int64_t* component, int64_t rows, const unsigned long long* best_weight_lo,
                const unsigned long long* best_hi, int64_t* out_lo, int64_t* out_hi,
                float* out_weight, int32_t* hook_edges, unsigned long long* count) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < rows;
       c += stride) {
    if (component[c] != c || best_weight_lo[c] == kNoForestEdge) continue;
    const unsigned long long key = best_weight_lo[c];
    const int64_t lo = static_cast<int64_t>(key & 0xffffffffull);
    const int64_t hi = static_cast<int64_t>(best_hi[c]);
    const int64_t other = component[lo] == c ? component[hi] : component[lo];
    // Both ends picked this edge: the smaller root takes it.
    if (other < c && best_weight_lo[other] == key && best_hi[other] == best_hi[c]) continue;
    const unsigned long long at = atomicAdd(count, 1ull);
    out_lo[at] = lo;
    out_hi[at] = hi;
    out_weight[at] = __uint_as_float(static_cast<uint32_t>(key >> 32));
    hook_edges[2 * at] = static_cast<int32_t>(lo);
    hook_edges[2 * at + 1] = static_cast<int32_t>(hi);
  }
}

}  // namespace

cudaError_t forest_offer_weight(const GraphTile& tile, const float* core_distance,
                                const int64_t* component, unsigned long long* best_weight_lo,
                                cudaStream_t stream) {
  const int64_t cells = tile.rows * tile.k;
  if (cells == 0) return cudaSuccess;
  offer_weight_kernel<<<grid_stride_blocks(cells, ForestPolicy::kThreads), ForestPolicy::kThreads,
                        0, stream>>>(tile, core_distance, component, best_weight_lo);
  return cudaGetLastError();
}

cudaError_t forest_offer_hi(const GraphTile& tile, const float* core_distance,
                            const int64_t* component, const unsigned long long* best_weight_lo,
                            unsigned long long* best_hi, cudaStream_t stream) {
  const int64_t cells = tile.rows * tile.k;
  if (cells == 0) return cudaSuccess;
  offer_hi_kernel<<<grid_stride_blocks(cells, ForestPolicy::kThreads), ForestPolicy::kThreads, 0,
                    stream>>>(tile, core_distance, component, best_weight_lo, best_hi);
  return cudaGetLastError();
}

cudaError_t forest_pick(const int64_t* component, int64_t rows,
                        const unsigned long long* best_weight_lo, const unsigned long long* best_hi,
                        int64_t* out_lo, int64_t* out_hi, float* out_weight, int32_t* hook_edges,
                        unsigned long long* count, cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  pick_kernel<<<grid_stride_blocks(rows, ForestPolicy::kThreads), ForestPolicy::kThreads, 0,
                stream>>>(component, rows, best_weight_lo, best_hi, out_lo, out_hi, out_weight,
                          hook_edges, count);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
