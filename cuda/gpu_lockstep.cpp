#include "cuda/gpu_lockstep.h"

#include <algorithm>

#include "cuda/graph_tiles.h"
#include "kernels/lockstep_match.h"
#include "kernels/lockstep_signatures.h"

namespace unfriend::gpu {

namespace {

// Device bytes of the per-account arrays both primitives read.
int64_t index_bytes(const ActionIndex& index) {
  const int64_t accounts = index.accounts();
  const int64_t actions = index.actions;
  return aligned((accounts + 1) * 8) + aligned(actions * 4) + aligned(actions * 8) +
         aligned(accounts * 4) + aligned(accounts);
}

}  // namespace

bool gpu_lockstep_signatures(GpuResources& resources, const ActionIndex& index,
                             const std::vector<uint8_t>& eligible, const CandidateOptions& options,
                             const CudaTuning& tuning, std::vector<uint64_t>& out) {
  const int64_t accounts = index.accounts();
  const int hashes = options.hashes;
  out.clear();
  if (accounts == 0 || hashes <= 0) return true;
  const int64_t budget = resources.planning_budget(tuning);
  const int64_t fixed = index_bytes(index);
  const int64_t per_account = static_cast<int64_t>(hashes) * 8;
  if (fixed + aligned(per_account) > budget) return false;
  const int64_t chunk =
      std::min(accounts, std::max<int64_t>(1, (budget - fixed) / per_account / 2));
  resources.make_current();
  DeviceStack& stack = resources.stack();
  stack.reserve(static_cast<size_t>(fixed + aligned(chunk * per_account)));
  const size_t n = static_cast<size_t>(accounts);
  Scratch<int64_t> offsets = stack.take<int64_t>(n + 1);
  Scratch<uint32_t> slot = stack.take<uint32_t>(static_cast<size_t>(index.actions));
  Scratch<int64_t> time = stack.take<int64_t>(static_cast<size_t>(index.actions));
  Scratch<int32_t> distinct = stack.take<int32_t>(n);
  Scratch<uint8_t> d_eligible = stack.take<uint8_t>(n);
  Scratch<uint64_t> signature = stack.take<uint64_t>(static_cast<size_t>(chunk * hashes));
  GpuResources::SyncGuard guard(resources);
  const cudaStream_t stream = resources.compute_stream();
  upload(offsets.data(), index.account_offsets.data(), n + 1, stream);
  upload(slot.data(), index.account_slot.data(), index.account_slot.size(), stream);
  upload(time.data(), index.account_time.data(), index.account_time.size(), stream);
  upload(d_eligible.data(), eligible.data(), n, stream);
  out.resize(n * static_cast<size_t>(hashes));
  for (int64_t first = 0; first < accounts; first += chunk) {
    const int64_t count = std::min(chunk, accounts - first);
    UNFRIEND_CUDA_TRY(kernels::lockstep_signatures(
        offsets.data(), slot.data(), time.data(), d_eligible.data(), first, count, index.first_time,
        hashes, options.seed, options.tolerance, signature.data(), stream));
    const std::vector<uint64_t> part =
        download(signature.data(), static_cast<size_t>(count * hashes), stream);
    std::copy(part.begin(), part.end(), out.begin() + first * hashes);
  }
  return true;
}

bool gpu_lockstep_match_pairs(GpuResources& resources, const ActionIndex& index,
                              const std::vector<AccountPair>& pairs, const LockstepRule& rule,
                              const CudaTuning& tuning, std::vector<PairMatch>& out,
                              const std::function<void(int64_t)>& matched) {
  out.clear();
  const int64_t total = static_cast<int64_t>(pairs.size());
  if (total == 0) return true;
  const int64_t budget = resources.planning_budget(tuning);
  const int64_t fixed = index_bytes(index) + aligned(index.slots() * 8);
  const int64_t per_pair = 8 + static_cast<int64_t>(sizeof(PairMatch));
  if (fixed + aligned(per_pair * 1024) > budget) return false;
  const int64_t chunk = std::min(total, std::max<int64_t>(1024, (budget - fixed) / per_pair / 2));
  resources.make_current();
  DeviceStack& stack = resources.stack();
  stack.reserve(static_cast<size_t>(fixed + 2 * aligned(chunk * 4) +
                                    aligned(chunk * static_cast<int64_t>(sizeof(PairMatch)))));
  const size_t n = static_cast<size_t>(index.accounts());
  Scratch<int64_t> offsets = stack.take<int64_t>(n + 1);
  Scratch<uint32_t> slot = stack.take<uint32_t>(static_cast<size_t>(index.actions));
  Scratch<int64_t> time = stack.take<int64_t>(static_cast<size_t>(index.actions));
  Scratch<int32_t> distinct = stack.take<int32_t>(n);
  Scratch<int64_t> first_time = stack.take<int64_t>(static_cast<size_t>(index.slots()));
  Scratch<uint32_t> pair_a = stack.take<uint32_t>(static_cast<size_t>(chunk));
  Scratch<uint32_t> pair_b = stack.take<uint32_t>(static_cast<size_t>(chunk));
  Scratch<PairMatch> match = stack.take<PairMatch>(static_cast<size_t>(chunk));
  GpuResources::SyncGuard guard(resources);
  const cudaStream_t stream = resources.compute_stream();
  upload(offsets.data(), index.account_offsets.data(), n + 1, stream);
  upload(slot.data(), index.account_slot.data(), index.account_slot.size(), stream);
  upload(time.data(), index.account_time.data(), index.account_time.size(), stream);
  upload(distinct.data(), index.distinct_slots.data(), n, stream);
  upload(first_time.data(), index.slot_first_time.data(), index.slot_first_time.size(), stream);
  out.resize(pairs.size());
  std::vector<uint32_t> host_a(static_cast<size_t>(chunk)), host_b(static_cast<size_t>(chunk));
  for (int64_t first = 0; first < total; first += chunk) {
    const int64_t count = std::min(chunk, total - first);
    for (int64_t p = 0; p < count; ++p) {
      host_a[static_cast<size_t>(p)] = pairs[static_cast<size_t>(first + p)].first;
      host_b[static_cast<size_t>(p)] = pairs[static_cast<size_t>(first + p)].second;
    }
    upload(pair_a.data(), host_a.data(), static_cast<size_t>(count), stream);
    upload(pair_b.data(), host_b.data(), static_cast<size_t>(count), stream);
    UNFRIEND_CUDA_TRY(kernels::lockstep_match(offsets.data(), slot.data(), time.data(),
                                              distinct.data(), first_time.data(), pair_a.data(),
                                              pair_b.data(), count, rule, match.data(), stream));
    const std::vector<PairMatch> part = download(match.data(), static_cast<size_t>(count), stream);
    std::copy(part.begin(), part.end(), out.begin() + first);
    if (matched) matched(count);
  }
  return true;
}

}  // namespace unfriend::gpu
