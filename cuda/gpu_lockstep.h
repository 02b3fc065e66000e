// The lockstep primitives on the GPU (Backend::lockstep_signatures and lockstep_match_pairs of
// the CUDA backend): the index's per-account arrays are uploaded once per call, then signatures
// and pair matches are computed in chunks that fit the memory budget.
#pragma once

#include <functional>
#include <vector>

#include "cuda/cuda_tuning.h"
#include "cuda/gpu_resources.h"
#include "host/core/backend.h"

namespace unfriend::gpu {

/// Same contract and bits as minhash_signatures (host/cpu/lockstep_pairs.h). Returns false,
/// leaving `out` empty, when the index does not fit in device memory (the caller falls back).
bool gpu_lockstep_signatures(GpuResources& resources, const ActionIndex& index,
                             const std::vector<uint8_t>& eligible, const CandidateOptions& options,
                             const CudaTuning& tuning, std::vector<uint64_t>& out);

/// Same contract and values as verify_pairs (host/cpu/lockstep_pairs.h); false as above.
bool gpu_lockstep_match_pairs(GpuResources& resources, const ActionIndex& index,
                              const std::vector<AccountPair>& pairs, const LockstepRule& rule,
                              const CudaTuning& tuning, std::vector<PairMatch>& out,
                              const std::function<void(int64_t)>& matched);

}  // namespace unfriend::gpu
