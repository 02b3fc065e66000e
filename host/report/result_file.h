// A sweep (or lockstep) result file read back for the read-only commands (`report`, `export`):
// the labels, the group tables and the recorded evidence, as written, without recomputing
// anything. Columns that older results lack are left empty and the renderings say so.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace unfriend {

/// /clusters/*: one entry per cluster. Optional columns are empty when the file lacks them.
struct ClusterTable {
  std::vector<int64_t> id, size;
  std::vector<std::string> kind, decided_by;
  std::vector<int64_t> core_size, representative_id, alike_features;
  std::vector<float> mean_similarity, tightness, score, internal_distance, surround_distance;
  std::vector<float> similarity_spread, breadth, null_tightness, stability, birth_distance,
      density_distance, cohesion;
  std::vector<float> cohesion_halves;  // two per cluster, row-major [clusters x 2]
  /// Members' sd / everyone's per feature, row-major [clusters x feature_columns]; NaN where
  /// not measurable. Empty when not recorded.
  std::vector<float> feature_spread;
  size_t feature_columns = 0;
  size_t rows() const { return id.size(); }
};

/// /dup_groups/*.
struct DupGroupTable {
  std::vector<int64_t> id, size, representative_id;
  std::vector<float> mean_similarity, min_similarity;
  size_t rows() const { return id.size(); }
};

/// /campaigns/* (lockstep campaigns; a sweep with --actions or a lockstep result).
struct CampaignTable {
  std::vector<int64_t> id, size, representative, slots, targets, actions, first_time, last_time,
      edges;
  std::vector<std::string> kind, decided_by;
  std::vector<double> median_delay, mean_similarity, score;
  size_t rows() const { return id.size(); }
};

/// /review/*: the review queue the sweep recorded (groups holding protected or cleared accounts
/// that the evidence would flag), when it wrote one.
struct ReviewTable {
  std::vector<std::string> kind;  // "cluster", "dup_group" or "campaign"
  std::vector<int64_t> id, size, protected_members, cleared_members;
  size_t rows() const { return id.size(); }
};

/// Decision codes of /labels/decision.
constexpr int kDecisionNone = 0;
constexpr int kDecisionFlagged = 1;
constexpr int kDecisionHeld = 2;

struct ResultFile {
  std::string path;
  // Per account, in file order. Labels the file lacks are empty (a lockstep result has no
  // cluster labels; an older sweep no campaign or decision labels).
  std::vector<int64_t> account_id;
  std::vector<int64_t> cluster, dup_group, campaign;  // -1 none, -2 not assessed
  std::vector<float> score;                           // robust deviations; NaN: not assessed
  std::vector<int8_t> decision;                       // kDecision*; empty: not recorded
  std::vector<float> core_distance;                   // /labels/core_distance, if recorded
  std::vector<float> hierarchy_distance;              // /hierarchy/account_distance, if any

  ClusterTable clusters;
  // Method "eps": per account its density cluster before the tests (/labels/candidate, -1
  // none) and whether it was a core account (/labels/core); per candidate what became of it.
  std::vector<int64_t> candidate, core;
  std::vector<std::string> candidate_outcome;  // /candidates/outcome: what became of each
  std::vector<int64_t> candidate_size;
  std::vector<float> candidate_tightness, candidate_cohesion;
  DupGroupTable dup_groups;
  CampaignTable campaigns;
  bool has_campaigns = false;  // /campaigns exists (it may hold no campaign)
  ReviewTable review;
  bool has_review = false;  // /review exists

  // Root attributes. JSON attributes that are absent or unreadable are null; the raw text of
  // an unreadable one is kept so that the report can say so.
  nlohmann::json thresholds, config, knn, stage_seconds, diff, summary;
  std::string diff_text;  // the "diff" attribute as written ("" when absent)
  bool diff_unreadable = false;
  std::vector<std::string> feature_names;  // /features/names, when recorded
  std::string input_path, backend, version, config_source, command;
  int64_t input_rows = -1, input_features = -1;

  size_t accounts() const { return account_id.size(); }
  bool has_decisions() const { return !decision.empty(); }
};

/// Reads `path` (opened read-only). Throws InputError "PATH: fault" (one line) for a missing
/// or unreadable file, a file that is not HDF5, a file with no /accounts/id or none of
/// /labels/{cluster,dup_group,campaign}, labels whose length differs from /accounts/id, group
/// tables whose columns differ in length, and decision codes other than 0, 1, 2.
ResultFile read_result_file(const std::string& path);

/// The account's final decision: /labels/decision when recorded; otherwise flagged when the
/// account is in a cluster, a duplicate group or a campaign.
int account_decision(const ResultFile& result, size_t row);

}  // namespace unfriend
