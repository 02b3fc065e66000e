// CPU reference primitives of the lockstep detector: candidate account pairs by MinHash over
// (slot, time bucket) tokens with a sorted neighbourhood per hash, and exact verification of
// pairs under the rule of host/core/lockstep_match.h. No step enumerates the pairs of accounts
// that touched one slot, so a viral post with a million reactions costs what a million actions
// cost.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "host/core/action_index.h"
#include "host/core/lockstep_match.h"
#include "host/core/lockstep_tokens.h"

namespace unfriend {

/// MinHash signatures [accounts x hashes] of each account's token set: every action gives two
/// tokens, (slot, bucket of width 2T) on grids shifted by T, so two actions within T of each
/// other share at least one token. Rows of accounts that are not eligible are left at ~0.
std::vector<uint64_t> minhash_signatures(const ActionIndex& index,
                                         const std::vector<uint8_t>& eligible,
                                         const CandidateOptions& options);

/// Candidate pairs: for each hash h, the eligible accounts sorted by (sig[h], sig[h+1],
/// sig[h+2], account); each account is paired with the next `window` accounts of equal sig[h].
/// Sorted and distinct.
std::vector<AccountPair> candidate_pairs(const std::vector<uint64_t>& signatures,
                                         const std::vector<uint8_t>& eligible,
                                         const CandidateOptions& options);

/// The exact match of every pair (host/core/lockstep_match.h); `matched(count)`, when given,
/// after each chunk of pairs.
std::vector<PairMatch> verify_pairs(const ActionIndex& index, const std::vector<AccountPair>& pairs,
                                    const LockstepRule& rule,
                                    const std::function<void(int64_t)>& matched = {});

/// The exact match of one pair.
PairMatch match_pair(const ActionIndex& index, uint32_t a, uint32_t b, const LockstepRule& rule);

}  // namespace unfriend
