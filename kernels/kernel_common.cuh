// Device helpers every kernel shares: warp constants, the candidate order, grid sizing.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/kernel_types.h"

namespace unfriend::kernels {

constexpr int kWarpSize = 32;
constexpr unsigned kFullMask = 0xffffffffu;

__host__ __device__ constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Blocks for a grid-stride loop over `items`: enough to fill any current GPU several times
/// over, never more than the items need. Grid-stride kernels stay correct for any count.
constexpr int64_t kMaxGridStrideBlocks = 1 << 16;
__host__ __device__ constexpr unsigned grid_stride_blocks(int64_t items, int block_threads) {
  const int64_t needed = ceil_div(items, block_threads);
  return static_cast<unsigned>(
      needed < 1 ? 1 : (needed > kMaxGridStrideBlocks ? kMaxGridStrideBlocks : needed));
}

/// The one order of candidates on the device: larger score first, then smaller index. It is a
/// total order on distinct indices, so a selection never depends on the order candidates arrive
/// in, and ties resolve exactly as the CPU's (similarity desc, index asc) sort does.
__device__ __forceinline__ bool better(float av, int32_t ai, float bv, int32_t bi) {
  return av > bv || (av == bv && ai < bi);
}

__device__ __forceinline__ int lane_id() { return static_cast<int>(threadIdx.x) & (kWarpSize - 1); }

template <typename T>
__device__ __forceinline__ T warp_sum(T value) {
#pragma unroll
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    value += __shfl_xor_sync(kFullMask, value, offset);
  }
  return value;
}

}  // namespace unfriend::kernels
