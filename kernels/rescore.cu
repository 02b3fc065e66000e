// Exact re-scoring: one warp per query row. Each candidate's similarity is a warp-wide
// reduction over the dimensions (coalesced reads of both rows); the warp then sorts its
// queue_length candidates with a bitonic network and writes the best k.
#include "kernels/kernel_common.cuh"
#include "kernels/rescore.h"
#include "kernels/warp_sort.cuh"

namespace unfriend::kernels {

namespace {

struct RescorePolicy {
  static constexpr int kWarpsPerBlock = 4;
};

template <int Q>
__global__ void __launch_bounds__(RescorePolicy::kWarpsPerBlock* kWarpSize)
    rescore_kernel(RescoreArgs args) {
  constexpr int R = Q / kWarpSize;
  const int lane = lane_id();
  const int64_t row =
      static_cast<int64_t>(blockIdx.x) * RescorePolicy::kWarpsPerBlock + threadIdx.x / kWarpSize;
  if (row >= args.rows) return;

  const float* query = args.queries + row * args.dims;
  const int32_t* candidates = args.candidates + row * Q;
  int32_t mine[R];
#pragma unroll
  for (int r = 0; r < R; ++r) mine[r] = candidates[r * kWarpSize + lane];

  float value[R];
  int32_t index[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    value[r] = -INFINITY;
    index[r] = kPadIndex;
    for (int source = 0; source < kWarpSize; ++source) {
      const int32_t j = __shfl_sync(kFullMask, mine[r], source);
      if (j < 0 || j >= args.database_rows) continue;  // warp-uniform: padding
      const float* other = args.database + static_cast<int64_t>(j) * args.dims;
      double sum = 0;
      if (args.score == ScoreKind::dot) {
        for (int64_t d = lane; d < args.dims; d += kWarpSize) {
          sum += static_cast<double>(query[d]) * static_cast<double>(other[d]);
        }
      } else {
        for (int64_t d = lane; d < args.dims; d += kWarpSize) {
          const double diff = static_cast<double>(query[d]) - static_cast<double>(other[d]);
          sum += diff * diff;
        }
      }
      sum = warp_sum(sum);
      if (lane == source) {
        value[r] = static_cast<float>(args.score == ScoreKind::dot ? sum : -sum);
        index[r] = j;
      }
    }
  }

  warp_sort_best_first<R>(value, index, lane);

  int64_t* out_indices = args.out_indices + row * args.k;
  float* out_similarity = args.out_similarity + row * args.k;
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int e = r * kWarpSize + lane;
    if (e < args.k) {
      const bool pad = index[r] == kPadIndex;
      out_indices[e] = pad ? int64_t{-1} : static_cast<int64_t>(index[r]);
      out_similarity[e] = pad ? -INFINITY : value[r];
    }
  }
}

template <int Q>
cudaError_t launch_rescore(const RescoreArgs& args, cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>(ceil_div(args.rows, RescorePolicy::kWarpsPerBlock));
  rescore_kernel<Q><<<blocks, RescorePolicy::kWarpsPerBlock * kWarpSize, 0, stream>>>(args);
  return cudaGetLastError();
}

}  // namespace

cudaError_t rescore_candidates(const RescoreArgs& args, int queue_length, cudaStream_t stream) {
  if (args.rows < 0 || args.k < 0 || args.k > queue_length || args.dims < 0) {
    return cudaErrorInvalidValue;
  }
  if (args.rows == 0 || args.k == 0) return cudaSuccess;
  if (args.queries == nullptr || args.candidates == nullptr || args.out_indices == nullptr ||
      args.out_similarity == nullptr || (args.database_rows > 0 && args.database == nullptr)) {
    return cudaErrorInvalidValue;
  }
  switch (queue_length) {
    case 32:
      return launch_rescore<32>(args, stream);
    case 64:
      return launch_rescore<64>(args, stream);
    case 128:
      return launch_rescore<128>(args, stream);
    case 256:
      return launch_rescore<256>(args, stream);
    default:
      return cudaErrorInvalidValue;
  }
}

}  // namespace unfriend::kernels
