// Warp select: the Q best (score, index) pairs of a stream of candidates, one warp per stream,
// in the manner of FAISS's WarpSelect.
//
// Every lane keeps a small unsorted thread queue of T pairs; the warp keeps the Q best pairs
// seen so far, sorted, spread over the lanes (warp_sort.cuh layout). A candidate enters a thread
// queue only when it beats the worst pair of the warp queue, which after a short warm-up is
// rare, so the common path is one load and one comparison per candidate. When any lane's
// thread queue is full the warp sorts all thread queues together (bitonic sort of 32 * T
// pairs) and merges them into the warp queue (bitonic merge of Q pairs), then raises the
// threshold.
#pragma once

#include "kernels/kernel_common.cuh"
#include "kernels/warp_sort.cuh"

namespace unfriend::kernels {

template <int Q, int T>
class WarpSelect {
 public:
  static_assert(Q >= kWarpSize && (Q & (Q - 1)) == 0, "warp queue length: power of two >= 32");
  static_assert(T >= 1 && (T & (T - 1)) == 0, "thread queue length: power of two");
  static constexpr int kWarpRegisters = Q / kWarpSize;

  __device__ explicit WarpSelect(int lane) : lane_(lane) {
#pragma unroll
    for (int r = 0; r < kWarpRegisters; ++r) {
      warp_v_[r] = -INFINITY;
      warp_i_[r] = kPadIndex;
    }
    clear_thread_queue();
    threshold_v_ = -INFINITY;
    threshold_i_ = kPadIndex;
  }

  /// Starts from a list of Q pairs already sorted best first (the running top-Q of earlier
  /// tiles), stored contiguously: pair e at values[e], indices[e]. Coalesced.
  __device__ void load(const float* values, const int32_t* indices) {
#pragma unroll
    for (int r = 0; r < kWarpRegisters; ++r) {
      warp_v_[r] = values[r * kWarpSize + lane_];
      warp_i_[r] = indices[r * kWarpSize + lane_];
    }
    update_threshold();
  }

  /// Offers one candidate of this lane. Any lane may call it or not; the warp must then call
  /// flush_if_full() together before the next offer.
  __device__ __forceinline__ void add(float value, int32_t index) {
    if (better(value, index, threshold_v_, threshold_i_)) {
      // Shift rather than index by count_: constant register indices keep the queue in
      // registers.
#pragma unroll
      for (int t = T - 1; t > 0; --t) {
        thread_v_[t] = thread_v_[t - 1];
        thread_i_[t] = thread_i_[t - 1];
      }
      thread_v_[0] = value;
      thread_i_[0] = index;
      ++count_;
    }
  }

  /// Warp-collective: merges the thread queues into the warp queue once any of them is full.
  /// Called after every offer round, so that no lane ever holds more than T pairs.
  __device__ __forceinline__ void flush_if_full() {
    if (__any_sync(kFullMask, count_ == T)) merge_thread_queues();
  }

  /// Warp-collective: merges whatever the thread queues still hold.
  __device__ void finish() {
    if (__any_sync(kFullMask, count_ > 0)) merge_thread_queues();
  }

  /// Writes the Q best pairs, best first, contiguously. Coalesced.
  __device__ void store(float* values, int32_t* indices) const {
#pragma unroll
    for (int r = 0; r < kWarpRegisters; ++r) {
      values[r * kWarpSize + lane_] = warp_v_[r];
      indices[r * kWarpSize + lane_] = warp_i_[r];
    }
  }

 private:
  __device__ __forceinline__ void clear_thread_queue() {
#pragma unroll
    for (int t = 0; t < T; ++t) {
      thread_v_[t] = -INFINITY;
      thread_i_[t] = kPadIndex;
    }
    count_ = 0;
  }

  __device__ __forceinline__ void update_threshold() {
    // The worst pair of the warp queue: element Q - 1, lane 31 of the last register.
    threshold_v_ = __shfl_sync(kFullMask, warp_v_[kWarpRegisters - 1], kWarpSize - 1);
    threshold_i_ = __shfl_sync(kFullMask, warp_i_[kWarpRegisters - 1], kWarpSize - 1);
  }

  __device__ void merge_thread_queues() {
    // 1. Sort the 32 * T thread-queue pairs of the warp best first (empty slots are padding,
    //    which sorts last).
    warp_sort_best_first<T>(thread_v_, thread_i_, lane_);
    // 2. The Q best of the union of two lists sorted best first, A (warp queue) and B (the
    //    first Q of the sorted thread queues, padded when shorter), are max(A[e], B[Q-1-e]):
    //    a bitonic sequence. B[Q-1-e] sits in register R-1-r of lane 31 - lane.
#pragma unroll
    for (int r = 0; r < kWarpRegisters; ++r) {
      constexpr int kLast = kWarpRegisters - 1;
      const int source_reg = kLast - r;
      if (source_reg < T) {
        const float other_v = __shfl_sync(kFullMask, thread_v_[source_reg < T ? source_reg : 0],
                                          kWarpSize - 1 - lane_);
        const int32_t other_i = __shfl_sync(kFullMask, thread_i_[source_reg < T ? source_reg : 0],
                                            kWarpSize - 1 - lane_);
        if (better(other_v, other_i, warp_v_[r], warp_i_[r])) {
          warp_v_[r] = other_v;
          warp_i_[r] = other_i;
        }
      }
    }
    // 3. Sort the bitonic sequence best first.
    warp_merge_bitonic_best_first<kWarpRegisters>(warp_v_, warp_i_, lane_);
    clear_thread_queue();
    update_threshold();
  }

  int lane_;
  int count_ = 0;
  float threshold_v_;
  int32_t threshold_i_;
  float warp_v_[kWarpRegisters];
  int32_t warp_i_[kWarpRegisters];
  float thread_v_[T];
  int32_t thread_i_[T];
};

}  // namespace unfriend::kernels
