#include "host/pipeline/outcome.h"

#include <unordered_set>

namespace unfriend {

namespace {

StableIds ids_for(const std::string& kind, const std::vector<int64_t>& ids,
                  const std::vector<int64_t>& label, int64_t groups,
                  const PreviousResult* previous) {
  if (previous == nullptr || previous->labels.count(kind) == 0) return fresh_ids(groups);
  return match_groups(ids, label, groups, previous->ids, previous->labels.at(kind),
                      previous->next_id.at(kind));
}

void relabel(std::vector<int64_t>& label, const std::vector<int64_t>& id) {
  for (int64_t& l : label) {
    if (l >= 0) l = id[static_cast<size_t>(l)];
  }
}

}  // namespace

SweepOutcome settle_accounts(const std::vector<int64_t>& ids, std::vector<int64_t>& cluster_label,
                             int64_t clusters, std::vector<int64_t>& dup_label, int64_t dup_groups,
                             std::vector<int64_t>& campaign_label, int64_t campaigns,
                             const PreviousResult* previous,
                             const std::vector<int64_t>& protected_ids,
                             const std::vector<int64_t>& cleared_ids) {
  SweepOutcome out;
  const bool have_campaigns = !campaign_label.empty();
  out.cluster = ids_for("cluster", ids, cluster_label, clusters, previous);
  out.dup_group = ids_for("dup_group", ids, dup_label, dup_groups, previous);
  if (have_campaigns) out.campaign = ids_for("campaign", ids, campaign_label, campaigns, previous);

  // Decisions on the ranks (is_new is per rank), then the labels become ids.
  std::vector<GroupLabels> groups = {{"cluster", &cluster_label, &out.cluster.is_new},
                                     {"dup_group", &dup_label, &out.dup_group.is_new}};
  if (have_campaigns) groups.push_back({"campaign", &campaign_label, &out.campaign.is_new});
  if (previous == nullptr) {
    for (auto& g : groups) g.is_new = nullptr;  // nothing is known to be new without a history
  }
  out.decisions = decide_accounts(ids, groups, protected_ids, cleared_ids);
  for (ReviewItem& item : out.decisions.review_queue) {
    const StableIds& s = item.kind == "cluster"     ? out.cluster
                         : item.kind == "dup_group" ? out.dup_group
                                                    : out.campaign;
    item.id = s.id[static_cast<size_t>(item.id)];
  }
  relabel(cluster_label, out.cluster.id);
  relabel(dup_label, out.dup_group.id);
  if (have_campaigns) relabel(campaign_label, out.campaign.id);

  out.next_ids = {{"cluster", out.cluster.next_id}, {"dup_group", out.dup_group.next_id}};
  if (have_campaigns)
    out.next_ids["campaign"] = out.campaign.next_id;
  else if (previous && previous->next_id.count("campaign")) {
    out.next_ids["campaign"] = previous->next_id.at("campaign");  // never reuse an id later
  }
  if (previous == nullptr) return out;

  nlohmann::json groups_json = nlohmann::json::array(), vanished = nlohmann::json::array();
  nlohmann::json counts = nlohmann::json::object();
  auto add = [&](const std::string& kind, const StableIds& s) {
    nlohmann::json d = diff_json(kind, s);
    for (auto& g : d["groups"]) groups_json.push_back(g);
    for (auto& g : d["dissolved"]) vanished.push_back(g);
    counts[kind] = d["counts"];
  };
  if (previous->labels.count("cluster")) add("cluster", out.cluster);
  if (previous->labels.count("dup_group")) add("dup_group", out.dup_group);
  if (have_campaigns && previous->labels.count("campaign")) add("campaign", out.campaign);
  // Accounts by their flag before and now.
  std::unordered_set<int64_t> flagged_before, present;
  for (size_t i = 0; i < previous->ids.size(); ++i) {
    bool f = false;
    for (const auto& [kind, label] : previous->labels) f |= label[i] >= 0;
    if (f) flagged_before.insert(previous->ids[i]);
  }
  int64_t newly = 0, no_longer = 0, gone = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    present.insert(ids[i]);
    const bool now =
        cluster_label[i] >= 0 || dup_label[i] >= 0 || (have_campaigns && campaign_label[i] >= 0);
    const bool before = flagged_before.count(ids[i]) > 0;
    newly += now && !before;
    no_longer += !now && before;
  }
  for (int64_t id : flagged_before) gone += present.count(id) == 0;
  out.diff = {{"previous", previous->path},
              {"groups", groups_json},
              {"dissolved", vanished},
              {"counts", counts},
              {"newly_flagged", newly},
              {"no_longer_flagged", no_longer},
              {"flagged_before_not_in_input", gone}};
  return out;
}

}  // namespace unfriend
