#include "host/report/evidence.h"

#include <fmt/format.h>

namespace unfriend {

GroupIndex::GroupIndex(const std::vector<int64_t>& ids) {
  rows_.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) rows_.emplace(ids[i], static_cast<int64_t>(i));
}

int64_t GroupIndex::row_of(int64_t id) const {
  const auto it = rows_.find(id);
  return it == rows_.end() ? -1 : it->second;
}

std::string cluster_evidence(const ClusterTable& t, size_t i) {
  std::string line = fmt::format("cluster {}: {} accounts", t.id[i], t.size[i]);
  if (!t.tightness.empty()) line += fmt::format(", tightness {:.3g}", t.tightness[i]);
  if (!t.cohesion.empty()) line += fmt::format(", cohesion {:.2f}", t.cohesion[i]);
  // The hierarchy records breadth; eps clusters leave it at zero.
  if (!t.breadth.empty() && t.breadth[i] > 0) line += fmt::format(", breadth {:.2f}", t.breadth[i]);
  if (!t.decided_by.empty() && !t.decided_by[i].empty()) {
    line += fmt::format(", decided by {}", t.decided_by[i]);
  }
  return line;
}

std::string dup_group_evidence(const DupGroupTable& t, size_t i) {
  std::string line = fmt::format("dup group {}: {} accounts", t.id[i], t.size[i]);
  if (!t.min_similarity.empty())
    line += fmt::format(", min similarity {:.5f}", t.min_similarity[i]);
  return line;
}

std::string campaign_evidence(const CampaignTable& t, size_t i) {
  std::string line = fmt::format("campaign {}", t.id[i]);
  if (!t.kind.empty() && !t.kind[i].empty()) line += fmt::format(" ({})", t.kind[i]);
  line += fmt::format(": {} accounts", t.size[i]);
  if (!t.slots.empty()) line += fmt::format(", {} shared slots", t.slots[i]);
  if (!t.decided_by.empty() && !t.decided_by[i].empty()) {
    line += fmt::format(", decided by {}", t.decided_by[i]);
  }
  return line;
}

AccountEvidence::AccountEvidence(const ResultFile& r)
    : result_(r),
      cluster_index_(r.clusters.id),
      dup_index_(r.dup_groups.id),
      campaign_index_(r.campaigns.id) {
  for (size_t i = 0; i < r.clusters.rows(); ++i)
    cluster_lines_.push_back(cluster_evidence(r.clusters, i));
  for (size_t i = 0; i < r.dup_groups.rows(); ++i)
    dup_lines_.push_back(dup_group_evidence(r.dup_groups, i));
  for (size_t i = 0; i < r.campaigns.rows(); ++i)
    campaign_lines_.push_back(campaign_evidence(r.campaigns, i));
}

std::string AccountEvidence::for_row(size_t row) const {
  std::string line;
  auto add = [&](const std::vector<int64_t>& labels, const GroupIndex& index,
                 const std::vector<std::string>& lines, const char* what) {
    if (labels.empty() || labels[row] < 0) return;
    if (!line.empty()) line += "; ";
    const int64_t at = index.row_of(labels[row]);
    line += at >= 0 ? lines[static_cast<size_t>(at)]
                    : fmt::format("{} {} (not in the group table)", what, labels[row]);
  };
  add(result_.cluster, cluster_index_, cluster_lines_, "cluster");
  add(result_.dup_group, dup_index_, dup_lines_, "dup group");
  add(result_.campaign, campaign_index_, campaign_lines_, "campaign");
  if (line.empty()) line = "in no group (decision recorded by the sweep)";
  return line;
}

}  // namespace unfriend
