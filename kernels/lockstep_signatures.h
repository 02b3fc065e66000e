// Launcher of the lockstep MinHash signatures on the GPU (Backend::lockstep_signatures of the
// CUDA backend), under the token and hash rules of host/core/lockstep_tokens.h.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace unfriend::kernels {

/// One thread per (account, hash) of the accounts [first, first + count): signature[(a - first)
/// * hashes + h] = the smallest minhash_value over the tokens of a's actions, ~0 when
/// eligible[a] == 0. account_offsets, account_slot and account_time as in ActionIndex (the
/// offsets of the whole index; time relative to the log's first action is computed here).
cudaError_t lockstep_signatures(const int64_t* account_offsets, const uint32_t* account_slot,
                                const int64_t* account_time, const uint8_t* eligible, int64_t first,
                                int64_t count, int64_t first_time, int hashes, uint64_t seed,
                                int64_t tolerance, uint64_t* signature, cudaStream_t stream);

}  // namespace unfriend::kernels
