#include "host/pipeline/stable_ids.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "host/core/error.h"
#include "host/io/h5_reader.h"

namespace unfriend {

PreviousResult read_previous_result(const std::string& path) {
  PreviousResult prev;
  prev.path = path;
  std::unique_ptr<H5Reader> file;
  try {
    file = std::make_unique<H5Reader>(path);
  } catch (const std::exception& e) {
    throw InputError(
        fmt::format("--previous {}: not a readable sweep result ({})", path, e.what()));
  }
  for (const char* needed : {"/accounts/id", "/labels/cluster", "/labels/dup_group"}) {
    if (!file->has(needed)) {
      throw InputError(fmt::format("--previous {}: no {} (not a sweep result)", path, needed));
    }
  }
  prev.ids = file->read_int64("/accounts/id");
  const std::pair<const char*, const char*> kinds[] = {{"cluster", "/labels/cluster"},
                                                       {"dup_group", "/labels/dup_group"},
                                                       {"campaign", "/labels/campaign"}};
  nlohmann::json next;
  if (file->has_attribute("/", "next_ids")) {
    try {
      next = nlohmann::json::parse(file->read_string_attribute("/", "next_ids"));
    } catch (const std::exception&) {
      throw InputError(fmt::format("--previous {}: attribute next_ids is not JSON", path));
    }
  }
  for (const auto& [kind, dataset] : kinds) {
    if (!file->has(dataset)) continue;
    std::vector<int64_t> label = file->read_int64(dataset);
    if (label.size() != prev.ids.size()) {
      throw InputError(fmt::format("--previous {}: {} has {} rows, /accounts/id {}", path, dataset,
                                   label.size(), prev.ids.size()));
    }
    int64_t next_id = 0;
    for (int64_t l : label) next_id = std::max(next_id, l + 1);
    if (next.is_object() && next.contains(kind) && next[kind].is_number_integer()) {
      next_id = std::max(next_id, next[kind].get<int64_t>());
    }
    prev.next_id[kind] = next_id;
    prev.labels[kind] = std::move(label);
  }
  return prev;
}

StableIds fresh_ids(int64_t groups) {
  StableIds out;
  out.id.resize(static_cast<size_t>(groups));
  std::iota(out.id.begin(), out.id.end(), int64_t{0});
  out.is_new.assign(static_cast<size_t>(groups), 1);
  out.next_id = groups;
  return out;
}

StableIds match_groups(const std::vector<int64_t>& ids, const std::vector<int64_t>& label,
                       int64_t groups, const std::vector<int64_t>& previous_ids,
                       const std::vector<int64_t>& previous_label, int64_t previous_next_id) {
  StableIds out;
  out.id.assign(static_cast<size_t>(groups), -1);
  out.is_new.assign(static_cast<size_t>(groups), 1);
  out.changes.resize(static_cast<size_t>(groups));
  // Previous group of each account id.
  std::unordered_map<int64_t, int64_t> previous_group;
  previous_group.reserve(previous_ids.size());
  std::map<int64_t, int64_t> previous_size;
  for (size_t i = 0; i < previous_ids.size(); ++i) {
    if (previous_label[i] < 0) continue;
    previous_group.emplace(previous_ids[i], previous_label[i]);
    ++previous_size[previous_label[i]];
  }
  // Overlaps: (current group, previous group) -> accounts in both.
  std::map<std::pair<int64_t, int64_t>, int64_t> overlap;
  std::vector<int64_t> size(static_cast<size_t>(groups), 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t g = label[i];
    if (g < 0) continue;
    ++size[static_cast<size_t>(g)];
    const auto it = previous_group.find(ids[i]);
    if (it != previous_group.end()) ++overlap[{g, it->second}];
  }
  // A previous group is carried on by the current group holding at least half of its members
  // (at most one can hold more than half; at exactly half, the first in rank order).
  std::map<int64_t, int64_t> carrier;  // previous id -> current group
  for (const auto& [key, count] : overlap) {
    const auto [g, p] = key;
    if (2 * count < previous_size[p]) continue;
    if (carrier.count(p) == 0) carrier[p] = g;  // keys ascend in g: the first in rank order
  }
  // Each current group keeps the largest previous group it carries (ties: smallest id).
  std::vector<std::vector<int64_t>> carried(static_cast<size_t>(groups));
  for (const auto& [p, g] : carrier) carried[static_cast<size_t>(g)].push_back(p);
  int64_t next_id = previous_next_id;
  for (int64_t g = 0; g < groups; ++g) {
    GroupChange& change = out.changes[static_cast<size_t>(g)];
    change.size = size[static_cast<size_t>(g)];
    auto& list = carried[static_cast<size_t>(g)];
    if (list.empty()) {
      out.id[static_cast<size_t>(g)] = next_id++;
      change.change = "new";
    } else {
      std::sort(list.begin(), list.end(), [&](int64_t a, int64_t b) {
        if (previous_size[a] != previous_size[b]) return previous_size[a] > previous_size[b];
        return a < b;
      });
      const int64_t p = list.front();
      out.id[static_cast<size_t>(g)] = p;
      out.is_new[static_cast<size_t>(g)] = 0;
      change.previous_id = p;
      change.previous_size = previous_size[p];
      change.merged_from.assign(list.begin() + 1, list.end());
      change.change = list.size() > 1                      ? "merged"
                      : change.size > change.previous_size ? "grew"
                      : change.size < change.previous_size ? "shrank"
                                                           : "same";
    }
    change.id = out.id[static_cast<size_t>(g)];
  }
  out.next_id = next_id;
  // Previous groups no current group carries on: merged into one, split over several (two or
  // more current groups hold at least two of its members each), or dissolved.
  for (const auto& [p, psize] : previous_size) {
    const auto c = carrier.find(p);
    if (c != carrier.end()) {
      const int64_t g = c->second;
      if (out.id[static_cast<size_t>(g)] == p) continue;
      out.vanished.push_back({p, psize, "merged", out.id[static_cast<size_t>(g)]});
      continue;
    }
    int64_t holders = 0;
    for (const auto& [key, count] : overlap) holders += key.second == p && count >= 2;
    out.vanished.push_back({p, psize, holders >= 2 ? "split" : "dissolved", -1});
  }
  return out;
}

nlohmann::json diff_json(const std::string& kind, const StableIds& ids) {
  nlohmann::json groups = nlohmann::json::array(), vanished = nlohmann::json::array();
  std::map<std::string, int64_t> counts;
  for (const GroupChange& c : ids.changes) {
    ++counts[c.change];
    nlohmann::json g = {{"kind", kind},
                        {"id", c.id},
                        {"change", c.change},
                        {"size", c.size},
                        {"previous_size", c.previous_size}};
    g["previous_id"] = c.previous_id >= 0 ? nlohmann::json(c.previous_id) : nlohmann::json(nullptr);
    if (!c.merged_from.empty()) g["merged_from"] = c.merged_from;
    groups.push_back(g);
  }
  for (const VanishedGroup& v : ids.vanished) {
    ++counts[v.change];
    nlohmann::json g = {{"kind", kind},
                        {"previous_id", v.previous_id},
                        {"previous_size", v.previous_size},
                        {"change", v.change}};
    if (v.merged_into >= 0) g["merged_into"] = v.merged_into;
    vanished.push_back(g);
  }
  return {{"groups", groups}, {"dissolved", vanished}, {"counts", counts}};
}

}  // namespace unfriend
