// `unfriend lockstep`: coordinated-action campaigns (mass reporting, like farms) from an action
// log. Pairs of accounts whose actions match (same target, same kind, within a tolerance) far
// more often than pairs that merely co-acted reach are linked; campaigns are the connected
// groups of such links. Candidate pairs come from MinHash with sorted neighbourhoods, so no
// viral target's pairs are enumerated and no wave is dropped for being large.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/core/action_index.h"
#include "host/core/backend.h"
#include "host/core/config.h"
#include "host/core/lockstep_match.h"

namespace unfriend {

struct Campaign {
  int64_t id = 0;
  int64_t size = 0;
  int64_t representative = 0;  // dense account index of the smallest member
  int32_t kind = 0;            // the most common kind of its shared actions
  int64_t slots = 0;           // (target, kind) slots acted on by at least a quarter of members
  int64_t targets = 0;         // distinct targets of those slots
  int64_t actions = 0;         // members' actions on them
  int64_t first_time = 0, last_time = 0;
  double median_delay = 0;     // seconds after the first member acted on the same slot
  int64_t edges = 0;           // verified links inside
  double mean_similarity = 0;  // over those links
  double score = 0;        // links: mean log10 p / the link threshold; group: its same-hour excess
  std::string decided_by;  // "links" (pairs past the threshold) or "group" (the group test)
};

struct LockstepThresholds {
  LockstepRule rule;
  int min_matches = 0;
  int min_size = 0;
  double significance = 0;
  double max_log10_p = 0;  // a link's binomial tail must be at most this (log10)
  double attach_level = 0;
  double attach_max_log10_p = 0;  // an attachment's tail of support links must be at most this
};

struct LockstepResult {
  LockstepThresholds thresholds;
  int64_t accounts = 0, actions = 0, slots = 0;
  int64_t first_time = 0, last_time = 0;
  int64_t eligible_accounts = 0;  // with at least min_matches distinct slots
  int64_t candidate_pairs = 0;
  int64_t linked_pairs = 0;
  int64_t attached_accounts = 0;  // joined a campaign through many support links
  int64_t group_campaigns = 0;    // found by the group test (no single pair strong enough)
  std::vector<int64_t> campaign;  // per dense account, -1 none
  std::vector<Campaign> campaigns;
  // Per account: its most similar linked partner (dense index, -1 none), as evidence.
  std::vector<int64_t> partner;
  std::vector<float> partner_log10_p;
  std::vector<float> partner_similarity;
  std::vector<int32_t> partner_matches;
  std::vector<int32_t> partner_shared;
  std::vector<float> partner_chance;
  std::vector<int32_t> partner_tolerance;  // seconds
  std::vector<int32_t> attach_links;       // support links into its campaign when attached, else 0
  // Per target (ascending id): actions, reports, reports by campaign members, campaigns on it.
  std::vector<int64_t> target_id, target_actions, target_reports, target_reports_from_campaigns,
      target_campaigns;
  double seconds_index = 0, seconds_candidates = 0, seconds_verify = 0, seconds_campaigns = 0;
};

/// Runs the detector on an indexed log, the signatures and pair matches on `backend`.
/// Deterministic for a given config (seed = knn.seed), on any backend.
LockstepResult find_campaigns(Backend& backend, const ActionIndex& index,
                              const SweepConfig& config);

}  // namespace unfriend
