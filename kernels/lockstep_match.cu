// Exact match of candidate pairs, one thread per pair: the same merge of two sorted action lists
// as the CPU's (host/core/lockstep_match.h). Pairs come sorted by their first account, so
// neighbouring threads mostly read the same first list.
#include "kernels/kernel_common.cuh"
#include "kernels/lockstep_match.h"

namespace unfriend::kernels {

namespace {

constexpr int kMatchThreads = 128;

__global__ void match_kernel(const int64_t* account_offsets, const uint32_t* account_slot,
                             const int64_t* account_time, const int32_t* distinct_slots,
                             const int64_t* slot_first_time, const uint32_t* pair_a,
                             const uint32_t* pair_b, int64_t pairs, LockstepRule rule,
                             PairMatch* out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; p < pairs;
       p += stride) {
    const uint32_t a = pair_a[p], b = pair_b[p];
    const int64_t a0 = account_offsets[a], a1 = account_offsets[a + 1];
    const int64_t b0 = account_offsets[b], b1 = account_offsets[b + 1];
    out[p] = match_accounts(account_slot + a0, account_time + a0, a1 - a0, distinct_slots[a],
                            account_slot + b0, account_time + b0, b1 - b0, distinct_slots[b],
                            slot_first_time, rule);
  }
}

}  // namespace

cudaError_t lockstep_match(const int64_t* account_offsets, const uint32_t* account_slot,
                           const int64_t* account_time, const int32_t* distinct_slots,
                           const int64_t* slot_first_time, const uint32_t* pair_a,
                           const uint32_t* pair_b, int64_t pairs, LockstepRule rule, PairMatch* out,
                           cudaStream_t stream) {
  if (pairs <= 0) return cudaSuccess;
  match_kernel<<<grid_stride_blocks(pairs, kMatchThreads), kMatchThreads, 0, stream>>>(
      account_offsets, account_slot, account_time, distinct_slots, slot_first_time, pair_a, pair_b,
      pairs, rule, out);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
