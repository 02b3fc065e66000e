// Campaigns no single pair of which is a link: members too quiet, or waves at nearly the same
// delay after every post, so that each pair's evidence is weak, while the group's is not.
//
// Candidates are the communities of support links (pairs with p <= attach_level) among
// accounts in no campaign yet: the 2-core of those links, split by label propagation so that a
// campaign is not judged inside one big web of weak links together with fans and genuine
// accounts; communities acting on the same slots (a campaign's cells) are judged together
// first, then alone. A community is a campaign when its co-present members' delays are within T of
// each other far more often than when each member's delays are moved to its other slots published
// at the same hour of the day (the null): reaction delays follow the hour a post appears
// (asleep accounts react in the morning), which moves a page's fans together without any
// coordination, while a campaign's members share each wave's own timing.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/action_index.h"
#include "host/core/config.h"
#include "host/core/lockstep_match.h"
#include "host/core/lockstep_tokens.h"
#include "host/pipeline/lockstep.h"

namespace unfriend {

/// Label propagation over an undirected graph (adjacency lists, both directions): each node in
/// turn (in an order drawn from `seed` each round) takes the label most common among its
/// neighbours (ties: its own when among them, else one drawn from `seed`), until no label
/// changes. Nodes with no neighbours keep their own label. Deterministic for a seed. Returns
/// the label of every node (a node index).
std::vector<uint32_t> propagate_labels(const std::vector<std::vector<uint32_t>>& adjacency,
                                       uint64_t seed, int max_rounds = 50);

/// What the group test measured for one group at its best tolerance. Each member's close
/// partners (co-present members within T) are compared with their mean over shuffles of its own
/// delays, under two nulls: moved among its slots whose target appeared in the same hour of the
/// day, and among all its slots (plain).
struct GroupTest {
  bool passes = false;
  int scale = 0;
  double log10_p = 0;  // same-hour null, sign test: members more in step, of those that differ
  int32_t members_above = 0, members_below = 0;
  double share = 0;         // members_above / (members_above + members_below)
  double excess = 0;        // close pairs observed / under the same-hour null
  double plain_excess = 0;  // the same under the plain null
};

/// The group test on `members` (dense account indices) with `cfg.group_permutations` shuffles
/// per null, at every tolerance of `rule`. Passes at a tolerance where log10_p <= max_log10_p,
/// share >= group_min_share, and excess >= group_hour_min_excess or plain_excess >=
/// group_min_excess. Reports the passing tolerance of largest excess, else the largest excess.
GroupTest test_group(const ActionIndex& index, const std::vector<uint32_t>& members,
                     const SweepConfig::Lockstep& cfg, const LockstepRule& rule, double max_log10_p,
                     uint64_t seed);

/// Communities (dense account indices) that act on the same slots, joined: the cells of one
/// campaign, which act at different times (shifts), so that no link joins them. Two are joined
/// when more than half of the smaller one's key slots (those at least a quarter of its members,
/// and two, acted on) are key slots of the other; transitively. Returns the joined sets as
/// indices into `communities`, each ascending, in order of their smallest index.
std::vector<std::vector<size_t>> cells_of_one_campaign(
    const ActionIndex& index, const std::vector<std::vector<uint32_t>>& communities);

/// Appends the group campaigns found among accounts with in_campaign < 0 to `members` (and
/// their excess to `excess_of`), marking them in `in_campaign`.
void find_group_campaigns(const ActionIndex& index, const std::vector<AccountPair>& pairs,
                          const std::vector<PairMatch>& matches, const SweepConfig& config,
                          const LockstepThresholds& th, std::vector<int64_t>& in_campaign,
                          std::vector<std::vector<uint32_t>>& members,
                          std::vector<double>& excess_of);

}  // namespace unfriend
