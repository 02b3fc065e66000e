// Short evidence lines, from what the result recorded: why a group was kept ("cluster 3: 120
// accounts, tightness 4.2, cohesion 0.97, decided by tightness+cohesion") and, per account, the
// groups it is in. Shared by `export` (one line per account) and `report` (review queue).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/report/result_file.h"

namespace unfriend {

/// Group id -> row of its table.
class GroupIndex {
 public:
  explicit GroupIndex(const std::vector<int64_t>& ids);
  /// Row of `id` in the table, or -1 when the table has no such group.
  int64_t row_of(int64_t id) const;

 private:
  std::unordered_map<int64_t, int64_t> rows_;
};

std::string cluster_evidence(const ClusterTable& t, size_t row);
std::string dup_group_evidence(const DupGroupTable& t, size_t row);
std::string campaign_evidence(const CampaignTable& t, size_t row);

/// Per account: the evidence of every group it is in, joined by "; " (each group's line is
/// built once). A label naming a group its table lacks says so instead of failing.
class AccountEvidence {
 public:
  explicit AccountEvidence(const ResultFile& result);
  std::string for_row(size_t row) const;

 private:
  const ResultFile& result_;
  GroupIndex cluster_index_, dup_index_, campaign_index_;
  std::vector<std::string> cluster_lines_, dup_lines_, campaign_lines_;
};

}  // namespace unfriend
