// Launcher of the exact lockstep match of account pairs on the GPU (Backend::
// lockstep_match_pairs of the CUDA backend), under the rule of host/core/lockstep_match.h.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "host/core/lockstep_match.h"

namespace unfriend::kernels {

/// out[p] = match_accounts of accounts pair_a[p] and pair_b[p], p < pairs, over the index
/// arrays (as in ActionIndex).
cudaError_t lockstep_match(const int64_t* account_offsets, const uint32_t* account_slot,
                           const int64_t* account_time, const int32_t* distinct_slots,
                           const int64_t* slot_first_time, const uint32_t* pair_a,
                           const uint32_t* pair_b, int64_t pairs, LockstepRule rule, PairMatch* out,
                           cudaStream_t stream);

}  // namespace unfriend::kernels
