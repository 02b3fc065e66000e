#include "host/report/explain.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "host/core/error.h"
#include "host/core/knn_graph.h"
#include "host/cpu/similarity.h"
#include "host/io/action_log.h"
#include "host/io/feature_reader.h"
#include "host/io/h5_reader.h"
#include "host/pipeline/cluster_profile.h"
#include "host/pipeline/preprocess.h"

namespace unfriend {

namespace {

using json = nlohmann::json;

json test(const std::string& name, double value, const std::string& rule, double threshold) {
  const bool passed = rule == "<=" ? value <= threshold : value >= threshold;
  json t = {{"test", name}, {"rule", rule}, {"threshold", threshold}, {"passed", passed}};
  t["value"] = std::isfinite(value) ? json(value) : json(nullptr);
  if (std::isinf(value)) t["value"] = value > 0 ? "inf" : "-inf";
  return t;
}

double number(const json& j, const std::string& section, const std::string& key, double fallback) {
  if (j.is_object() && j.contains(section) && j[section].contains(key) &&
      j[section][key].is_number()) {
    return j[section][key].get<double>();
  }
  return fallback;
}

double number(const json& j, const std::string& key, double fallback) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

template <typename T>
int64_t index_of(const std::vector<T>& v, T x) {
  const auto it = std::find(v.begin(), v.end(), x);
  return it == v.end() ? -1 : static_cast<int64_t>(it - v.begin());
}

// The features in which a group is abnormally alike (spread under half of everyone's), most
// alike first, at most 15, from its row of spread ratios.
json alike_features(const float* ratio, size_t cols, const std::vector<std::string>& names) {
  std::vector<std::pair<float, size_t>> alike;
  for (size_t j = 0; j < cols; ++j) {
    if (std::isfinite(ratio[j]) && ratio[j] < 0.5f) alike.push_back({ratio[j], j});
  }
  std::sort(alike.begin(), alike.end());
  json list = json::array();
  for (size_t i = 0; i < alike.size() && i < 15; ++i) {
    json f = {{"feature", alike[i].second}, {"spread_ratio", alike[i].first}};
    if (alike[i].second < names.size()) f["name"] = names[alike[i].second];
    list.push_back(f);
  }
  return list;
}

// The features as the sweep compared them, and the account's nearest accounts there.
struct FeatureDetail {
  json nearest = json::array();
  json nearest_members = json::array();
  json alike = json::array();
  double nearest_similarity = std::numeric_limits<double>::quiet_NaN();
};

FeatureDetail feature_detail(const ResultFile& result, size_t row, const ExplainRequest& request) {
  const json& config = result.config;
  auto text = [&](const char* section, const char* key, const std::string& fallback) {
    return config.is_object() && config.contains(section) && config[section].contains(key) &&
                   config[section][key].is_string()
               ? config[section][key].get<std::string>()
               : fallback;
  };
  FeatureReader reader(request.input_path, text("input", "features", "/accounts/features"),
                       text("input", "ids", "/accounts/id"));
  const std::vector<int64_t> ids = reader.read_ids();
  const int64_t input_row = index_of(ids, result.account_id[row]);
  if (input_row < 0) {
    throw InputError(fmt::format("{}: has no account {} (is it the input of {}?)",
                                 request.input_path, result.account_id[row], result.path));
  }
  PrepareOptions options;
  options.standardize = !(config.is_object() && config.contains("preprocess") &&
                          config["preprocess"].value("standardize", true) == false);
  options.clip = number(config, "preprocess", "clip", 10.0);
  const Metric metric = metric_from_string(text("preprocess", "metric", "cosine"));
  options.metric = metric;
  options.skip_invalid = text("input", "on_invalid", "error") == "skip";
  const PreparedFeatures prepared = prepare_features_on_host(reader, options);
  const int64_t self = index_of(prepared.input_row, input_row);
  if (self < 0)
    throw InputError(fmt::format("{}: account {} was not assessed (invalid row)",
                                 request.input_path, result.account_id[row]));
  const Matrix& m = prepared.matrix;
  const float* a = m.row(self);
  std::vector<std::pair<double, int64_t>> scored;
  scored.reserve(static_cast<size_t>(m.rows));
  for (int64_t r = 0; r < m.rows; ++r) {
    if (r == self) continue;
    scored.push_back({pair_similarity(a, m.row(r), m.cols, metric), r});
  }
  const size_t top = std::min(scored.size(), static_cast<size_t>(std::max(1, request.nearest)));
  std::partial_sort(scored.begin(), scored.begin() + top, scored.end(), [](auto& x, auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  std::unordered_map<int64_t, int64_t> result_row;
  result_row.reserve(result.accounts());
  for (size_t i = 0; i < result.accounts(); ++i)
    result_row.emplace(result.account_id[i], static_cast<int64_t>(i));
  auto row_of = [&](int64_t id) {
    const auto it = result_row.find(id);
    return it == result_row.end() ? int64_t{-1} : it->second;
  };
  FeatureDetail out;
  if (!scored.empty()) out.nearest_similarity = scored[0].first;
  // Its nearest fellow members (of its cluster, else its duplicate group, else its campaign).
  const std::vector<int64_t>* group = nullptr;
  for (const std::vector<int64_t>* l : {&result.cluster, &result.dup_group, &result.campaign}) {
    if (!group && !l->empty() && (*l)[row] >= 0) group = l;
  }
  if (group) {
    std::vector<std::pair<double, int64_t>> fellows;
    for (const auto& [sim, r] : scored) {
      const int64_t id = ids[static_cast<size_t>(prepared.input_row[static_cast<size_t>(r)])];
      const int64_t other = row_of(id);
      if (other >= 0 && (*group)[static_cast<size_t>(other)] == (*group)[row])
        fellows.push_back({sim, id});
    }
    const size_t take = std::min(fellows.size(), top);
    std::partial_sort(fellows.begin(), fellows.begin() + take, fellows.end(), [](auto& x, auto& y) {
      return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    for (size_t t = 0; t < take; ++t) {
      out.nearest_members.push_back(
          {{"account", fellows[t].second}, {"similarity", fellows[t].first}});
    }
  }
  for (size_t t = 0; t < top; ++t) {
    const int64_t other_input = prepared.input_row[static_cast<size_t>(scored[t].second)];
    const int64_t id = ids[static_cast<size_t>(other_input)];
    const int64_t other = row_of(id);
    json n = {{"account", id}, {"similarity", scored[t].first}};
    auto same = [&](const std::vector<int64_t>& label) {
      return other >= 0 && !label.empty() && label[row] >= 0 &&
             label[static_cast<size_t>(other)] == label[row];
    };
    n["same_cluster"] = same(result.cluster);
    n["same_dup_group"] = same(result.dup_group);
    out.nearest.push_back(n);
  }
  // Features in which its group is abnormally alike: the members' spread against everyone's.
  const std::vector<int64_t>* label = nullptr;
  if (!result.cluster.empty() && result.cluster[row] >= 0)
    label = &result.cluster;
  else if (!result.dup_group.empty() && result.dup_group[row] >= 0)
    label = &result.dup_group;
  if (label) {
    std::vector<int64_t> member(static_cast<size_t>(m.rows), -1);
    for (int64_t r = 0; r < m.rows; ++r) {
      const int64_t id = ids[static_cast<size_t>(prepared.input_row[static_cast<size_t>(r)])];
      const int64_t res = row_of(id);
      if (res >= 0 && (*label)[static_cast<size_t>(res)] == (*label)[row])
        member[static_cast<size_t>(r)] = 0;
    }
    std::vector<std::string> names;
    H5Reader input(request.input_path);
    if (input.has("/features/names")) names = input.read_strings("/features/names");
    out.alike = alike_features(feature_spread_ratios(m.view(), member, 1).data(),
                               static_cast<size_t>(m.cols), names);
  }
  return out;
}

// The campaign's shared actions: per slot (target, kind) this account acted on, how many fellow
// members acted there and when, relative to the first member.
json shared_actions(const ResultFile& result, size_t row, const std::string& path) {
  ActionLogReader log(path);
  std::map<int64_t, bool> fellow;
  for (size_t i = 0; i < result.accounts(); ++i) {
    if (result.campaign[i] >= 0 && result.campaign[i] == result.campaign[row]) {
      fellow[result.account_id[i]] = true;
    }
  }
  const int64_t self = result.account_id[row];
  struct Slot {
    int64_t own_time = std::numeric_limits<int64_t>::max();
    std::vector<int64_t> member_times;
  };
  std::map<std::pair<int64_t, int32_t>, Slot> slots;
  std::vector<std::tuple<int64_t, int64_t, int32_t, int64_t>>
      member_actions;  // account, target, kind, time
  log.for_each_block(1 << 20, [&](const ActionBlock& b) {
    for (size_t i = 0; i < b.account.size(); ++i) {
      if (!fellow.count(b.account[i])) continue;
      if (b.account[i] == self) {
        Slot& s = slots[{b.target[i], b.kind[i]}];
        s.own_time = std::min(s.own_time, b.time[i]);
      } else {
        member_actions.emplace_back(b.account[i], b.target[i], b.kind[i], b.time[i]);
      }
    }
  });
  for (const auto& [account, target, kind, time] : member_actions) {
    const auto it = slots.find({target, kind});
    if (it != slots.end()) it->second.member_times.push_back(time);
  }
  std::vector<std::pair<std::pair<int64_t, int32_t>, Slot>> list(slots.begin(), slots.end());
  std::stable_sort(list.begin(), list.end(), [](auto& x, auto& y) {
    return x.second.member_times.size() > y.second.member_times.size();
  });
  json out = json::array();
  for (const auto& [key, s] : list) {
    if (out.size() >= 20) break;
    std::vector<int64_t> times = s.member_times;
    std::sort(times.begin(), times.end());
    const int64_t first = times.empty() ? s.own_time : std::min(times.front(), s.own_time);
    json slot = {{"target", key.first},
                 {"kind", action_kind_name(key.second)},
                 {"time", s.own_time},
                 {"members_acting", times.size()},
                 {"delay_after_first_member_s", s.own_time - first}};
    if (!times.empty()) slot["median_member_delay_s"] = times[times.size() / 2] - first;
    out.push_back(slot);
  }
  return out;
}

}  // namespace

json explain_account(const ResultFile& result, const ExplainRequest& request) {
  const int64_t found = index_of(result.account_id, request.account);
  if (found < 0) {
    throw InputError(fmt::format("{}: no account {} in this result", result.path, request.account));
  }
  const size_t row = static_cast<size_t>(found);
  const json& th = result.thresholds;
  const json& config = result.config;
  const int decision = account_decision(result, row);
  json out = {{"account", request.account},
              {"result", result.path},
              {"decision", decision == kDecisionFlagged ? "flagged"
                           : decision == kDecisionHeld  ? "held for review"
                                                        : "not flagged"}};
  json tests = json::array(), missed = json::array(), groups = json::array();
  const bool assessed = result.cluster.empty() || result.cluster[row] != -2;
  out["assessed"] = assessed;
  const double eps = number(th, "eps_distance", std::numeric_limits<double>::quiet_NaN());
  const double min_size = number(config, "clusters", "min_size", 0) > 0
                              ? number(config, "clusters", "min_size", 0)
                              : number(config, "clusters", "min_pts", 8) + 1;
  const double min_tightness = number(config, "clusters", "min_tightness", 1.25);
  const double min_cohesion = number(config, "clusters", "min_cohesion", 0);
  const std::string method = config.is_object() && config.contains("clusters")
                                 ? config["clusters"].value("method", "eps")
                                 : "eps";
  const double core_distance = result.core_distance.empty()
                                   ? std::numeric_limits<double>::quiet_NaN()
                                   : result.core_distance[row];
  if (std::isfinite(core_distance) || std::isinf(core_distance))
    out["core_distance"] =
        test("core distance (to its min_pts-th nearest account) <= eps", core_distance, "<=", eps);

  // Clusters.
  if (assessed && !result.cluster.empty()) {
    const int64_t c = result.cluster[row];
    if (c >= 0) {
      const int64_t k = index_of(result.clusters.id, c);
      const ClusterTable& t = result.clusters;
      json g = {{"kind", "cluster"}, {"id", c}};
      if (k >= 0) {
        g["size"] = t.size[k];
        g["cluster_kind"] = t.kind[k];
        if (!t.decided_by.empty()) g["decided_by"] = t.decided_by[k];
        g["score"] = t.score[k];
        g["mean_similarity"] = t.mean_similarity[k];
        if (method == "eps" && !result.core.empty()) {
          const bool core = result.core[row] == 1;
          g["member"] =
              core ? "core account" : "border account (next to a core account within eps)";
          if (core && out.contains("core_distance")) tests.push_back(out["core_distance"]);
        }
        tests.push_back(test("cluster size >= min_size", double(t.size[k]), ">=", min_size));
        tests.push_back(
            test("tightness (surroundings / members) >= min_tightness", t.tightness[k], ">=",
                 method == "eps" ? min_tightness
                                 : (t.null_tightness.empty() ? 0 : t.null_tightness[k])));
        if (method == "hierarchy" && !t.breadth.empty()) {
          tests.push_back(test("breadth >= min_breadth", t.breadth[k],
                               ">=", number(config, "clusters", "min_breadth", 0.8)));
        }
        if (!t.cohesion_halves.empty() && std::isfinite(t.cohesion_halves[2 * k])) {
          for (int h = 0; h < 2; ++h) {
            tests.push_back(
                test(fmt::format("cohesion in half {} of the features >= min_cohesion", h + 1),
                     t.cohesion_halves[2 * k + h], ">=", min_cohesion));
          }
        }
      }
      groups.push_back(g);
    } else if (method == "eps" && !result.candidate.empty()) {
      const int64_t cand = result.candidate[row];
      if (cand < 0) {
        missed.push_back(
            test("core distance <= eps (or a core account within eps)", core_distance, "<=", eps));
      } else {
        const size_t ci = static_cast<size_t>(cand);
        const std::string& why = result.candidate_outcome[ci];
        json m;
        if (why == "too_small") {
          m = test("density group size >= min_size", double(result.candidate_size[ci]),
                   ">=", min_size);
        } else if (why == "not_tighter") {
          m = test("tightness (surroundings / members) >= min_tightness",
                   result.candidate_tightness[ci], ">=", min_tightness);
        } else if (why == "not_cohesive") {
          m = test("cohesion in both halves of the features >= min_cohesion",
                   result.candidate_cohesion[ci], ">=", min_cohesion);
        } else {
          m = {{"test", "density group " + why}, {"passed", false}};
        }
        m["density_group_size"] = result.candidate_size[ci];
        missed.push_back(m);
      }
    } else if (method != "eps") {
      missed.push_back({{"test", "in a selected cluster of the density hierarchy"},
                        {"passed", false},
                        {"detail", "see /hierarchy/* of the result for its tree cluster"}});
    }
  }

  // Near-duplicate groups.
  FeatureDetail detail;
  const bool with_features = !request.input_path.empty();
  if (with_features) detail = feature_detail(result, row, request);
  const double duplicate_similarity =
      number(th, "duplicate_similarity", std::numeric_limits<double>::quiet_NaN());
  if (assessed && !result.dup_group.empty()) {
    const int64_t d = result.dup_group[row];
    if (d >= 0) {
      const int64_t k = index_of(result.dup_groups.id, d);
      json g = {{"kind", "dup_group"}, {"id", d}};
      if (k >= 0) {
        g["size"] = result.dup_groups.size[k];
        g["mean_similarity"] = result.dup_groups.mean_similarity[k];
      }
      g["rule"] = "joined by pairs at similarity >= the duplicate similarity";
      groups.push_back(g);
      if (with_features) {
        tests.push_back(test("nearest account's similarity >= duplicate similarity",
                             detail.nearest_similarity, ">=", duplicate_similarity));
      }
    } else {
      json m =
          test("a pair at similarity >= duplicate similarity",
               with_features ? detail.nearest_similarity : std::numeric_limits<double>::quiet_NaN(),
               ">=", duplicate_similarity);
      m["passed"] = false;
      if (!with_features) m["detail"] = "give --input for its nearest account's similarity";
      missed.push_back(m);
    }
  }

  // Campaigns.
  if (!result.campaign.empty()) {
    const int64_t c = result.campaign[row];
    if (c >= 0) {
      const int64_t k = index_of(result.campaigns.id, c);
      json g = {{"kind", "campaign"}, {"id", c}};
      if (k >= 0) {
        const CampaignTable& t = result.campaigns;
        g["size"] = t.size[k];
        g["campaign_kind"] = t.kind[k];
        g["targets"] = t.targets[k];
        g["actions"] = t.actions[k];
        g["median_delay_s"] = t.median_delay[k];
        g["score"] = t.score[k];
        if (!t.decided_by.empty()) g["decided_by"] = t.decided_by[k];
        tests.push_back(test("campaign size >= lockstep.min_size", double(t.size[k]),
                             ">=", number(config, "lockstep", "min_size", 10)));
      }
      if (!request.actions_path.empty())
        g["shared_actions"] = shared_actions(result, row, request.actions_path);
      groups.push_back(g);
    } else {
      missed.push_back(
          {{"test", "linked to a campaign (actions matching far more often than chance)"},
           {"passed", false}});
    }
  }
  out["groups"] = groups;
  out["tests"] = tests;
  out["missed"] = missed;
  out["thresholds"] = {
      {"eps_distance", eps},          {"duplicate_similarity", duplicate_similarity},
      {"min_size", min_size},         {"min_tightness", min_tightness},
      {"min_cohesion", min_cohesion}, {"method", method}};
  if (with_features) {
    out["nearest"] = detail.nearest;
    out["nearest_members"] = detail.nearest_members;
    out["alike_features"] = detail.alike;
  } else if (!result.cluster.empty() && result.cluster[row] >= 0 &&
             !result.clusters.feature_spread.empty()) {
    // The cluster's recorded profile: the features in which its members are alike.
    const int64_t k = index_of(result.clusters.id, result.cluster[row]);
    if (k >= 0) {
      const size_t cols = result.clusters.feature_columns;
      out["alike_features"] =
          alike_features(result.clusters.feature_spread.data() + static_cast<size_t>(k) * cols,
                         cols, result.feature_names);
    }
  }
  return out;
}

std::string explanation_text(const json& e) {
  std::string s =
      fmt::format("account {}: {}\n", e["account"].dump(), e["decision"].get<std::string>());
  auto line = [](const json& t) {
    std::string value =
        t.contains("value")
            ? (t["value"].is_number() ? fmt::format("{:.6g}", t["value"].get<double>())
               : t["value"].is_null() ? "unknown"
                                      : t["value"].get<std::string>())
            : "";
    std::string rule = t.contains("rule") ? fmt::format(" {} {:.6g}", t["rule"].get<std::string>(),
                                                        t["threshold"].get<double>())
                                          : "";
    return fmt::format("{} {}{}{}", t["passed"].get<bool>() ? "[passed]" : "[missed]",
                       t["test"].get<std::string>(), value.empty() ? "" : ": " + value, rule);
  };
  if (!e["assessed"].get<bool>()) s += "  not assessed (an invalid row the sweep left out)\n";
  for (const json& g : e["groups"]) {
    s += fmt::format("  in {} {}", g["kind"].get<std::string>(), g["id"].dump());
    for (const char* key : {"size", "cluster_kind", "campaign_kind", "decided_by", "member",
                            "score", "mean_similarity", "targets", "median_delay_s"}) {
      if (g.contains(key))
        s += fmt::format(", {} {}", key,
                         g[key].is_string() ? g[key].get<std::string>() : g[key].dump());
    }
    s += "\n";
    if (g.contains("shared_actions")) {
      s += "    shared actions (target, kind, its time, fellow members acting, its delay after the "
           "first):\n";
      for (const json& a : g["shared_actions"]) {
        s += fmt::format("      {} {} {} {} {}s\n", a["target"].dump(),
                         a["kind"].get<std::string>(), a["time"].dump(), a["members_acting"].dump(),
                         a["delay_after_first_member_s"].dump());
      }
    }
  }
  for (const json& t : e["tests"]) s += "  " + line(t) + "\n";
  for (const json& t : e["missed"]) {
    s += "  " + line(t);
    if (t.contains("density_group_size"))
      s += fmt::format(" (its density group of {} accounts)", t["density_group_size"].dump());
    if (t.contains("detail")) s += " (" + t["detail"].get<std::string>() + ")";
    s += "\n";
  }
  if (e.contains("nearest")) {
    s += "  nearest accounts (similarity, same cluster, same duplicate group):\n";
    for (const json& n : e["nearest"]) {
      s += fmt::format("    {} {:.6f} {} {}\n", n["account"].dump(), n["similarity"].get<double>(),
                       n["same_cluster"].get<bool>() ? "yes" : "no",
                       n["same_dup_group"].get<bool>() ? "yes" : "no");
    }
  }
  if (e.contains("nearest_members") && !e["nearest_members"].empty()) {
    s += "  nearest fellow members (similarity):\n";
    for (const json& n : e["nearest_members"]) {
      s += fmt::format("    {} {:.6f}\n", n["account"].dump(), n["similarity"].get<double>());
    }
  }
  if (e.contains("alike_features") && !e["alike_features"].empty()) {
    s += "  features in which its group is abnormally alike (members' spread / everyone's):\n";
    for (const json& f : e["alike_features"]) {
      s += fmt::format(
          "    {} {:.3f}\n",
          f.contains("name") ? f["name"].get<std::string>() : "feature " + f["feature"].dump(),
          f["spread_ratio"].get<double>());
    }
  }
  return s;
}

}  // namespace unfriend
