// `unfriend evaluate`: scores a sweep result against ground truth (a synth file or an imported
// labelled data set), matching accounts by /accounts/id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace unfriend {

/// Per truth kind (/truth/kind code): how many accounts, how many flagged. For planted kinds the
/// rate is the recall, for genuine kinds the false-positive rate.
struct KindStats {
  int32_t code = 0;
  std::string name;
  int64_t accounts = 0;
  int64_t flagged = 0;
  std::optional<double> flag_rate;  // empty when the kind has no accounts
};

/// Pairs of accounts grouped together, truth against prediction.
struct PairMetrics {
  uint64_t truth_pairs = 0;         // pairs in one truth group
  uint64_t predicted_pairs = 0;     // pairs in one predicted group
  uint64_t matched_pairs = 0;       // pairs in one group on both sides
  std::optional<double> precision;  // matched / predicted; empty without predicted pairs
  std::optional<double> recall;     // matched / truth; empty without truth pairs
};

struct EvalReport {
  std::string result_file;
  std::string truth_file;
  int64_t matched = 0;       // accounts matched by id (all of both files)
  int64_t not_assessed = 0;  // result rows with cluster or dup_group == -2 (counted unflagged)
  bool truth_kind_derived = false;  // /truth/kind missing: derived from farm and dup_group
  bool truth_dup_missing = false;   // /truth/dup_group missing: all -1

  // Flagged (cluster >= 0 or dup_group >= 0) against truth positive (farm or dup_group >= 0).
  int64_t flagged = 0;
  int64_t truth_positive = 0;
  int64_t true_positive = 0;
  int64_t false_positive = 0;
  int64_t false_negative = 0;
  int64_t true_negative = 0;
  std::optional<double> precision;
  std::optional<double> recall;
  std::optional<double> f1;

  std::vector<KindStats> kinds;                     // one per code 0..4, in code order
  std::optional<double> dense_false_positive_rate;  // flagged / accounts of kind dense_genuine

  // Predicted clusters against planted farms and networks (/truth/farm).
  int64_t predicted_clusters = 0;
  int64_t truth_farms = 0;
  int64_t farms_detected = 0;  // truth farms with at least half of their accounts flagged
  double cluster_ari = 0;      // over all accounts; ungrouped accounts are singletons
  PairMetrics farm_pairs;

  // Predicted duplicate groups against planted near-duplicate groups.
  int64_t predicted_dup_groups = 0;
  int64_t truth_dup_groups = 0;
  PairMetrics dup_pairs;
};

/// Labels of matched accounts, aligned by position (what evaluate() reads and matches).
struct EvalLabels {
  std::vector<int64_t> cluster;          // -1 none, -2 not assessed
  std::vector<int64_t> dup_group;        // -1 none, -2 not assessed
  std::vector<int64_t> truth_farm;       // negative: none
  std::vector<int64_t> truth_dup_group;  // negative: none
  std::vector<int32_t> truth_kind;       // AccountKind codes 0..4
};

/// The metrics of aligned labels. Throws InputError when lengths differ or a kind code is not
/// 0..4.
EvalReport compute_metrics(const EvalLabels& labels);

/// Reads the result (/accounts/id, /labels/cluster, /labels/dup_group) and the truth
/// (/accounts/id, /truth/farm, optional /truth/dup_group and /truth/kind), matches rows by id and
/// computes the metrics. InputError (one line naming the file) for missing or malformed datasets,
/// repeated ids, an id of one file missing from the other, or invalid labels.
EvalReport evaluate(const std::string& result_path, const std::string& truth_path);

/// A compact human-readable table.
std::string render_text(const EvalReport& report);
/// Every number as a JSON object (undefined ratios are null).
std::string render_json(const EvalReport& report);

}  // namespace unfriend
