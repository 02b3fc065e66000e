// Ids that stay the same between scheduled runs. A group of this run (cluster, near-duplicate
// group or campaign) takes the id of the previous run's group when at least half of that
// group's members are in it (matched by account id); a group that takes in most of several
// previous groups keeps the largest one's id (the others merged into it), and a previous group
// whose members are now spread over several groups, none holding half, split. Groups that match
// nothing get ids never used before (from the previous run's next id), in their rank order.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace unfriend {

/// What a previous sweep result holds for matching: its accounts and their group labels by
/// kind ("cluster", "dup_group", "campaign"; absent kinds are missing from the map) and the next
/// unused id per kind (root attribute "next_ids", or one past the largest id used).
struct PreviousResult {
  std::string path;
  std::vector<int64_t> ids;
  std::map<std::string, std::vector<int64_t>> labels;
  std::map<std::string, int64_t> next_id;
};

/// Reads PREVIOUS.h5 (a sweep output). InputError naming the file for anything missing.
PreviousResult read_previous_result(const std::string& path);

struct GroupChange {
  int64_t id = 0;            // the stable id given
  int64_t previous_id = -1;  // -1: new
  std::string change;        // "new", "same", "grew", "shrank", "merged"
  int64_t size = 0, previous_size = 0;
  std::vector<int64_t> merged_from;  // other previous ids at least half of which joined it
};

struct VanishedGroup {
  int64_t previous_id = 0;
  int64_t previous_size = 0;
  std::string change;  // "dissolved", "split" or "merged" (into merged_into)
  int64_t merged_into = -1;
};

struct StableIds {
  std::vector<int64_t> id;              // per current group index (label value), its stable id
  std::vector<uint8_t> is_new;          // per current group index
  std::vector<GroupChange> changes;     // per current group index
  std::vector<VanishedGroup> vanished;  // previous groups no current group carries on
  int64_t next_id = 0;
};

/// Stable ids for the groups of one kind. `label` is per account of `ids` (row order; values
/// 0..groups-1 or negative for none); groups are ranked by their index.
StableIds match_groups(const std::vector<int64_t>& ids, const std::vector<int64_t>& label,
                       int64_t groups, const std::vector<int64_t>& previous_ids,
                       const std::vector<int64_t>& previous_label, int64_t previous_next_id);

/// Without a previous run: ids are the ranks, every group new.
StableIds fresh_ids(int64_t groups);

/// The diff of one kind for the summary and the "diff" attribute.
nlohmann::json diff_json(const std::string& kind, const StableIds& ids);

}  // namespace unfriend
