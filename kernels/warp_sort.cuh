// Bitonic sorting networks over (score, index) pairs spread across the 32 lanes of a warp, in
// registers: the building block of warp select (select_k.cuh) and of the final per-row sort
// (rescore.cu).
//
// Layout: an array of L = 32 * R elements lives in `float v[R]; int32_t ix[R]` of every lane;
// element e sits in lane e % 32, register e / 32. A compare-exchange between e and e ^ stride is
// a shuffle when stride < 32 and a swap between two registers of the same lane when
// stride >= 32. Every loop is unrolled at compile time (template recursion), so the register
// arrays never spill to local memory.
#pragma once

#include "kernels/kernel_common.cuh"

namespace unfriend::kernels {

/// One layer of a bitonic network: elements e and e ^ Stride are compared; inside a block of
/// Size elements whose bit (e & Size) is 0 the lower position keeps the better pair (the block
/// is sorted best first), otherwise the worse.
template <int R, int Size, int Stride>
__device__ __forceinline__ void bitonic_layer(float (&v)[R], int32_t (&ix)[R], int lane) {
  if constexpr (Stride >= kWarpSize) {
    constexpr int reg_stride = Stride / kWarpSize;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      if ((r & reg_stride) == 0) {
        const int rp = r | reg_stride;
        // Size > Stride >= 32, so the direction bit depends on the register only.
        const bool best_first = ((r * kWarpSize) & Size) == 0;
        const bool swap =
            best_first ? better(v[rp], ix[rp], v[r], ix[r]) : better(v[r], ix[r], v[rp], ix[rp]);
        if (swap) {
          const float tv = v[r];
          v[r] = v[rp];
          v[rp] = tv;
          const int32_t ti = ix[r];
          ix[r] = ix[rp];
          ix[rp] = ti;
        }
      }
    }
  } else {
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const float other_v = __shfl_xor_sync(kFullMask, v[r], Stride);
      const int32_t other_i = __shfl_xor_sync(kFullMask, ix[r], Stride);
      const int e = r * kWarpSize + lane;
      const bool lower = (lane & Stride) == 0;
      const bool best_first = (e & Size) == 0;
      // The lower element of a best-first block keeps the better pair, the upper the worse;
      // reversed in a worst-first block. Both lanes of a pair decide consistently because
      // better() is a strict total order on distinct indices.
      const bool keep_better = lower == best_first;
      const bool other_is_better = better(other_v, other_i, v[r], ix[r]);
      if (keep_better == other_is_better) {
        v[r] = other_v;
        ix[r] = other_i;
      }
    }
  }
}

template <int R, int Size, int Stride>
__device__ __forceinline__ void bitonic_merge_layers(float (&v)[R], int32_t (&ix)[R], int lane) {
  if constexpr (Stride > 0) {
    bitonic_layer<R, Size, Stride>(v, ix, lane);
    bitonic_merge_layers<R, Size, Stride / 2>(v, ix, lane);
  }
}

template <int R, int Size>
__device__ __forceinline__ void bitonic_sort_layers(float (&v)[R], int32_t (&ix)[R], int lane) {
  if constexpr (Size >= 2) {
    bitonic_sort_layers<R, Size / 2>(v, ix, lane);
    bitonic_merge_layers<R, Size, Size / 2>(v, ix, lane);
  }
}

/// Sorts the 32 * R pairs of the warp best first (score desc, index asc).
template <int R>
__device__ __forceinline__ void warp_sort_best_first(float (&v)[R], int32_t (&ix)[R], int lane) {
  static_assert(R >= 1 && (R & (R - 1)) == 0, "register count must be a power of two");
  bitonic_sort_layers<R, R * kWarpSize>(v, ix, lane);
}

/// Sorts a bitonic sequence of 32 * R pairs best first (the half-cleaner cascade only).
template <int R>
__device__ __forceinline__ void warp_merge_bitonic_best_first(float (&v)[R], int32_t (&ix)[R],
                                                              int lane) {
  static_assert(R >= 1 && (R & (R - 1)) == 0, "register count must be a power of two");
  // A block size above the array length makes every block best first.
  bitonic_merge_layers<R, 2 * R * kWarpSize, R * kWarpSize / 2>(v, ix, lane);
}

}  // namespace unfriend::kernels
