// The last step of a sweep before its output: stable ids for the groups (carried over from a
// previous run's result when one is given) and each account's decision, with the review queue
// and the diff against the previous run.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "host/pipeline/decisions.h"
#include "host/pipeline/stable_ids.h"

namespace unfriend {

struct SweepOutcome {
  StableIds cluster, dup_group, campaign;  // per group rank: its id
  Decisions decisions;
  nlohmann::json diff;      // null without a previous run
  nlohmann::json next_ids;  // {"cluster": n, "dup_group": n, "campaign": n}
};

/// `cluster_label`, `dup_label` and `campaign_label` (empty: no action log) are per account of
/// `ids`, values the groups' ranks (negative: none); they are rewritten to the stable ids.
SweepOutcome settle_accounts(const std::vector<int64_t>& ids, std::vector<int64_t>& cluster_label,
                             int64_t clusters, std::vector<int64_t>& dup_label, int64_t dup_groups,
                             std::vector<int64_t>& campaign_label, int64_t campaigns,
                             const PreviousResult* previous,
                             const std::vector<int64_t>& protected_ids,
                             const std::vector<int64_t>& cleared_ids);

}  // namespace unfriend
