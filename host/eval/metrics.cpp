// The evaluation metrics of aligned labels (no I/O): the part tests check by hand.
#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

#include "host/core/error.h"
#include "host/eval/evaluate.h"
#include "host/eval/pair_counts.h"
#include "host/synth/account_kind.h"

namespace unfriend {

namespace {

std::optional<double> ratio(uint64_t numerator, uint64_t denominator) {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

PairMetrics pair_metrics(const PairCounts& counts) {
  // Counts are taken as pair_counts(predicted, truth).
  PairMetrics m;
  m.predicted_pairs = counts.pairs_a;
  m.truth_pairs = counts.pairs_b;
  m.matched_pairs = counts.pairs_both;
  m.precision = ratio(m.matched_pairs, m.predicted_pairs);
  m.recall = ratio(m.matched_pairs, m.truth_pairs);
  return m;
}

int64_t distinct_groups(const std::vector<int64_t>& labels) {
  std::unordered_set<int64_t> seen;
  for (int64_t label : labels) {
    if (label >= 0) seen.insert(label);
  }
  return static_cast<int64_t>(seen.size());
}

}  // namespace

EvalReport compute_metrics(const EvalLabels& in) {
  const size_t n = in.cluster.size();
  if (in.dup_group.size() != n || in.truth_farm.size() != n || in.truth_dup_group.size() != n ||
      in.truth_kind.size() != n) {
    throw InputError(fmt::format(
        "evaluate: label vectors differ in length (cluster {}, dup_group {}, truth farm {}, "
        "truth dup_group {}, truth kind {})",
        n, in.dup_group.size(), in.truth_farm.size(), in.truth_dup_group.size(),
        in.truth_kind.size()));
  }
  EvalReport r;
  r.matched = static_cast<int64_t>(n);
  for (int k = 0; k < kAccountKindCount; ++k) {
    KindStats stats;
    stats.code = k;
    stats.name = to_string(static_cast<AccountKind>(k));
    r.kinds.push_back(stats);
  }

  struct FarmTally {
    int64_t accounts = 0;
    int64_t flagged = 0;
  };
  std::unordered_map<int64_t, FarmTally> farms;
  for (size_t i = 0; i < n; ++i) {
    const bool flagged = in.cluster[i] >= 0 || in.dup_group[i] >= 0;
    const bool positive = in.truth_farm[i] >= 0 || in.truth_dup_group[i] >= 0;
    if (in.cluster[i] == -2 || in.dup_group[i] == -2) ++r.not_assessed;
    r.flagged += flagged;
    r.truth_positive += positive;
    r.true_positive += flagged && positive;
    r.false_positive += flagged && !positive;
    r.false_negative += !flagged && positive;
    r.true_negative += !flagged && !positive;
    const int32_t kind = in.truth_kind[i];
    if (kind < 0 || kind >= kAccountKindCount) {
      throw InputError(fmt::format("evaluate: truth kind {} at position {} is not a code 0-{}",
                                   kind, i, kAccountKindCount - 1));
    }
    ++r.kinds[static_cast<size_t>(kind)].accounts;
    r.kinds[static_cast<size_t>(kind)].flagged += flagged;
    if (in.truth_farm[i] >= 0) {
      FarmTally& tally = farms[in.truth_farm[i]];
      ++tally.accounts;
      tally.flagged += flagged;
    }
  }

  r.precision = ratio(static_cast<uint64_t>(r.true_positive), static_cast<uint64_t>(r.flagged));
  r.recall = ratio(static_cast<uint64_t>(r.true_positive), static_cast<uint64_t>(r.truth_positive));
  if (r.precision && r.recall) {
    const double sum = *r.precision + *r.recall;
    r.f1 = sum > 0 ? 2 * *r.precision * *r.recall / sum : 0.0;
  }
  for (KindStats& k : r.kinds) {
    k.flag_rate = ratio(static_cast<uint64_t>(k.flagged), static_cast<uint64_t>(k.accounts));
  }
  r.dense_false_positive_rate = r.kinds[static_cast<size_t>(AccountKind::dense_genuine)].flag_rate;

  r.predicted_clusters = distinct_groups(in.cluster);
  r.truth_farms = static_cast<int64_t>(farms.size());
  for (const auto& [farm, tally] : farms) {
    // "Detected" means the engine caught most of the farm, not one stray member.
    if (2 * tally.flagged >= tally.accounts) ++r.farms_detected;
  }
  const PairCounts farm_counts = pair_counts(in.cluster, in.truth_farm);
  r.cluster_ari = adjusted_rand_index(farm_counts);
  r.farm_pairs = pair_metrics(farm_counts);

  r.predicted_dup_groups = distinct_groups(in.dup_group);
  r.truth_dup_groups = distinct_groups(in.truth_dup_group);
  r.dup_pairs = pair_metrics(pair_counts(in.dup_group, in.truth_dup_group));
  return r;
}

}  // namespace unfriend
