// Tile select kernels (one warp per tile row) and their dispatch over warp queue lengths.
#include "kernels/select_k.cuh"
#include "kernels/select_k.h"

namespace unfriend::kernels {

namespace {

/// Tuning per warp queue length. Thread queues: longer queues merge less often during the
/// warm-up but cost registers and a longer sort; FAISS's choices are similar (2, 3, 3, 4).
/// kLoadsPerStep independent loads per lane are in flight before they are offered, to hide
/// memory latency with little occupancy.
template <int Q>
struct SelectPolicy;
template <>
struct SelectPolicy<32> {
  static constexpr int kThreadQueue = 2;
  static constexpr int kWarpsPerBlock = 4;
  static constexpr int kLoadsPerStep = 4;
};
template <>
struct SelectPolicy<64> {
  static constexpr int kThreadQueue = 4;
  static constexpr int kWarpsPerBlock = 4;
  static constexpr int kLoadsPerStep = 4;
};
template <>
struct SelectPolicy<128> {
  static constexpr int kThreadQueue = 4;
  static constexpr int kWarpsPerBlock = 4;
  static constexpr int kLoadsPerStep = 4;
};
template <>
struct SelectPolicy<256> {
  static constexpr int kThreadQueue = 4;
  static constexpr int kWarpsPerBlock = 4;
  static constexpr int kLoadsPerStep = 2;
};

template <int Q>
__global__ void __launch_bounds__(SelectPolicy<Q>::kWarpsPerBlock* kWarpSize)
    select_tile_kernel(SelectTileArgs args) {
  using Policy = SelectPolicy<Q>;
  constexpr int kLoads = Policy::kLoadsPerStep;
  const int lane = lane_id();
  const int64_t row = static_cast<int64_t>(blockIdx.x) * Policy::kWarpsPerBlock +
                      static_cast<int64_t>(threadIdx.x / kWarpSize);
  if (row >= args.rows) return;  // whole warps leave together

  WarpSelect<Q, Policy::kThreadQueue> select(lane);
  float* run_values = args.run_values + row * Q;
  int32_t* run_indices = args.run_indices + row * Q;
  if (args.seeded) select.load(run_values, run_indices);

  const float* scores = args.tile + row * args.ld;
  // Column of this row's own database row, possibly outside the tile.
  const int64_t self_col = args.skip_self ? args.row_base + row - args.col_base : -1;
  const int cols = args.cols;
  const float* sq_norms = args.col_sq_norms;

  // Every lane runs the same number of rounds, so the warp-collective flushes line up.
  for (int base = 0; base < cols; base += kLoads * kWarpSize) {
    float loaded[kLoads];
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const int c = base + u * kWarpSize + lane;
      // Streaming load: each score is read once, keep it out of the way of the L2.
      loaded[u] = c < cols ? __ldcs(scores + c) : 0.f;
    }
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const int c = base + u * kWarpSize + lane;
      if (c < cols && c != self_col) {
        float score = loaded[u];
        if (sq_norms != nullptr) score = 2.f * score - sq_norms[c];
        select.add(score, static_cast<int32_t>(args.col_base + c));
      }
      select.flush_if_full();
    }
  }
  select.finish();
  select.store(run_values, run_indices);
}

template <int Q>
cudaError_t launch_select(const SelectTileArgs& args, cudaStream_t stream) {
  using Policy = SelectPolicy<Q>;
  const unsigned blocks = static_cast<unsigned>(ceil_div(args.rows, Policy::kWarpsPerBlock));
  select_tile_kernel<Q><<<blocks, Policy::kWarpsPerBlock * kWarpSize, 0, stream>>>(args);
  return cudaGetLastError();
}

}  // namespace

int select_queue_length(int k) {
  if (k < 1) return 0;
  if (k <= 32) return 32;
  if (k <= 64) return 64;
  if (k <= 128) return 128;
  if (k <= 256) return 256;
  return 0;
}

cudaError_t select_tile(const SelectTileArgs& args, int queue_length, cudaStream_t stream) {
  if (args.rows < 0 || args.cols < 0 || args.run_values == nullptr || args.run_indices == nullptr ||
      (args.cols > 0 && args.tile == nullptr) || (args.rows > 1 && args.ld < args.cols)) {
    return cudaErrorInvalidValue;
  }
  if (args.rows == 0) return cudaSuccess;
  switch (queue_length) {
    case 32:
      return launch_select<32>(args, stream);
    case 64:
      return launch_select<64>(args, stream);
    case 128:
      return launch_select<128>(args, stream);
    case 256:
      return launch_select<256>(args, stream);
    default:
      return cudaErrorInvalidValue;
  }
}

}  // namespace unfriend::kernels
