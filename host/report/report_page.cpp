// The page frame, the shared context and the sections about the run as a whole: summary,
// the thresholds table (its histograms are in report_histograms.cpp), configuration.
#include "host/report/report_page.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "host/report/html.h"
#include "host/report/report_sections.h"
#include "host/report/svg_chart.h"

namespace unfriend {

namespace report {

namespace {

constexpr size_t kSampleIds = 12;

std::vector<size_t> by_size(const std::vector<int64_t>& id, const std::vector<int64_t>& size) {
  std::vector<size_t> order(id.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return size[a] != size[b] ? size[a] > size[b] : id[a] < id[b];
  });
  return order;
}

Members* member_of(std::vector<Members>& members, const GroupIndex& index,
                   const std::vector<int64_t>& labels, size_t row) {
  if (labels.empty() || labels[row] < 0) return nullptr;
  const int64_t at = index.row_of(labels[row]);
  return at < 0 ? nullptr : &members[static_cast<size_t>(at)];
}

// The smallest core distance the density model takes (host/pipeline/density.cpp clamps at it).
constexpr double kSmallestDistance = 1e-30;

ScoreAxis score_axis(const ResultFile& r) {
  ScoreAxis a;
  const nlohmann::json& t = r.thresholds;
  a.mapped = has_number(t, "genuine_log_core_distance") && has_number(t, "genuine_log_spread") &&
             t["genuine_log_spread"].get<double>() > 0;
  if (a.mapped) {
    a.mode = t["genuine_log_core_distance"].get<double>();
    a.spread = t["genuine_log_spread"].get<double>();
    auto score_of = [&](double d) { return (a.mode - std::log(d)) / a.spread; };
    if (has_number(t, "eps_distance") && t["eps_distance"].get<double>() > 0) {
      a.eps = score_of(t["eps_distance"].get<double>());
    }
    if (t.value("valley_found", false) && has_number(t, "valley_core_distance") &&
        t["valley_core_distance"].get<double>() > 0) {
      a.valley = score_of(t["valley_core_distance"].get<double>());
    }
    a.zero_distance_score = score_of(kSmallestDistance);
  }
  double top = 0;
  for (float s : r.score) {
    if (!std::isfinite(s)) continue;
    if (a.at_zero_distance(s)) {
      ++a.zero_distance;
    } else {
      top = std::max(top, static_cast<double>(s));
    }
  }
  for (double threshold : {a.eps, a.valley}) {
    if (std::isfinite(threshold)) top = std::max(top, threshold);
  }
  a.x_max = std::max(1.0, top * 1.04);
  return a;
}

}  // namespace

bool has_number(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number();
}

std::string cluster_method(const ResultFile& r) {
  if (r.config.is_object() && r.config.contains("clusters") && r.config["clusters"].is_object() &&
      r.config["clusters"].contains("method")) {
    return json_text(r.config["clusters"]["method"]);
  }
  return "eps";  // the default, and the only method of results older than the option
}

bool ScoreAxis::at_zero_distance(double score) const {
  return std::isfinite(zero_distance_score) && score >= zero_distance_score * (1 - 1e-5);
}

double ScoreAxis::core_distance(double score) const { return std::exp(mode - score * spread); }

Context::Context(const ResultFile& r, const ReportOptions& o)
    : result(r),
      options(o),
      cluster_index(r.clusters.id),
      dup_index(r.dup_groups.id),
      campaign_index(r.campaigns.id),
      clusters_by_size(by_size(r.clusters.id, r.clusters.size)),
      dups_by_size(by_size(r.dup_groups.id, r.dup_groups.size)),
      campaigns_by_size(by_size(r.campaigns.id, r.campaigns.size)),
      cluster_profiled(r.clusters.rows(), false),
      cluster_members(r.clusters.rows()),
      dup_members(r.dup_groups.rows()),
      campaign_members(r.campaigns.rows()),
      axis(score_axis(r)) {
  const size_t profiles = std::min({o.max_profiles, o.max_table_rows, clusters_by_size.size()});
  for (size_t i = 0; i < profiles; ++i) cluster_profiled[clusters_by_size[i]] = true;
  // One pass over the accounts.
  for (size_t row = 0; row < r.accounts(); ++row) {
    const bool not_assessed = (!r.cluster.empty() && r.cluster[row] == -2) ||
                              (!r.dup_group.empty() && r.dup_group[row] == -2);
    not_assessed ? ++this->not_assessed : ++assessed;
    const int decision = account_decision(r, row);
    ++decision_counts[decision];
    Members* cluster = member_of(cluster_members, cluster_index, r.cluster, row);
    Members* dup = member_of(dup_members, dup_index, r.dup_group, row);
    Members* campaign = member_of(campaign_members, campaign_index, r.campaign, row);
    const bool in_group = (!r.cluster.empty() && r.cluster[row] >= 0) ||
                          (!r.dup_group.empty() && r.dup_group[row] >= 0) ||
                          (!r.campaign.empty() && r.campaign[row] >= 0);
    grouped += in_group;
    if (r.has_decisions() && in_group && decision == kDecisionNone) ++grouped_not_flagged;
    if (decision == kDecisionHeld && !in_group) {
      ++held_outside_groups;
      if (held_outside_sample.size() < kSampleIds) held_outside_sample.push_back(r.account_id[row]);
    }
    for (Members* m : {cluster, dup, campaign}) {
      if (m == nullptr) continue;
      ++m->count;
      m->flagged += decision == kDecisionFlagged;
      m->held += decision == kDecisionHeld;
      m->in_cluster += cluster != nullptr;
      m->in_dup_group += dup != nullptr;
      m->in_campaign += campaign != nullptr;
      if (m->sample_ids.size() < kSampleIds) m->sample_ids.push_back(r.account_id[row]);
    }
    if (cluster != nullptr && !r.score.empty() && std::isfinite(r.score[row])) {
      cluster->scores.push_back(r.score[row]);
    }
  }
}

std::string Context::cluster_anchor(size_t row) const {
  return cluster_profiled[row] ? fmt::format("cluster-{}", result.clusters.id[row]) : std::string();
}

std::string Context::cluster_anchor_for_id(int64_t id) const {
  const int64_t row = cluster_index.row_of(id);
  return row < 0 ? std::string() : cluster_anchor(static_cast<size_t>(row));
}

std::string omitted_note(size_t listed, size_t total, const char* what, const char* which) {
  if (listed >= total) return {};
  return fmt::format(
      "<p class=\"note\">Listing the {} {} of {} {}; {} are not listed (all of them are in the "
      "result file, and their accounts in <code>unfriend export</code>).</p>\n",
      which, html::count(static_cast<int64_t>(listed)), html::count(static_cast<int64_t>(total)),
      what, html::count(static_cast<int64_t>(total - listed)));
}

std::string json_text(const nlohmann::json& v) {
  if (v.is_null()) return "\xE2\x80\x94";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_integer()) return fmt::format("{}", v.get<int64_t>());
  if (v.is_number()) return html::number(v.get<double>(), 4);
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string summary_section(const Context& c) {
  const ResultFile& r = c.result;
  std::string out = "<section id=\"summary\"><h2>Summary</h2>\n";
  const int64_t accounts = static_cast<int64_t>(r.accounts());
  const int64_t flagged = c.decision_counts[kDecisionFlagged] + c.decision_counts[kDecisionHeld];
  // The sweep's own alarm rule, from the recorded configuration.
  double alarm_share = 0.2;
  if (r.config.is_object() && r.config.contains("output") &&
      has_number(r.config["output"], "alarm_flagged_share")) {
    alarm_share = r.config["output"]["alarm_flagged_share"].get<double>();
  }
  if (c.assessed > 0 &&
      static_cast<double>(c.grouped) / static_cast<double>(c.assessed) > alarm_share) {
    out += fmt::format(
        "<p class=\"note alarm\"><b>Alarm:</b> {} of the assessed accounts are in a group, over "
        "output.alarm_flagged_share ({}): check the input before acting on this result.</p>\n",
        html::percent(c.grouped, c.assessed), fmt::format("{:.1f}%", 100 * alarm_share));
  }
  std::vector<std::pair<std::string, std::string>> counts = {
      {"accounts", html::count(accounts)},
      {"assessed", html::count(c.assessed)},
      {"not assessed (invalid rows, skipped)", html::count(c.not_assessed)},
      {"in a cluster, duplicate group or campaign",
       fmt::format("{} ({} of the assessed)", html::count(c.grouped),
                   html::percent(c.grouped, c.assessed))},
  };
  int64_t in_clusters = 0, in_dups = 0, in_campaigns = 0;
  for (int64_t s : r.clusters.size) in_clusters += s;
  for (int64_t s : r.dup_groups.size) in_dups += s;
  for (int64_t s : r.campaigns.size) in_campaigns += s;
  if (!r.cluster.empty()) {
    counts.push_back(
        {"click-farm clusters",
         fmt::format("{} ({} accounts)", html::count(static_cast<int64_t>(r.clusters.rows())),
                     html::count(in_clusters))});
  }
  if (!r.dup_group.empty()) {
    counts.push_back(
        {"near-duplicate groups",
         fmt::format("{} ({} accounts)", html::count(static_cast<int64_t>(r.dup_groups.rows())),
                     html::count(in_dups))});
  }
  if (r.has_campaigns || !r.campaign.empty()) {
    counts.push_back(
        {"lockstep campaigns",
         fmt::format("{} ({} accounts)", html::count(static_cast<int64_t>(r.campaigns.rows())),
                     html::count(in_campaigns))});
  }
  if (r.has_decisions()) {
    counts.push_back({"decision: flagged", html::count(c.decision_counts[kDecisionFlagged])});
    counts.push_back(
        {"decision: held for human review", html::count(c.decision_counts[kDecisionHeld])});
    counts.push_back({"decision: not flagged", html::count(c.decision_counts[kDecisionNone])});
    if (c.grouped_not_flagged > 0) {
      counts.push_back(
          {"in a group but not flagged (decision 0)", html::count(c.grouped_not_flagged)});
    }
  } else {
    counts.push_back(
        {"flagged (in any group; no /labels/decision recorded)", html::count(flagged)});
  }
  out += "<div class=\"grid\"><div><h3>Counts</h3>\n" + html::key_value_table(counts) + "</div>\n";

  std::vector<std::pair<std::string, std::string>> run;
  run.push_back({"result file", html::escape(r.path)});
  if (!r.command.empty()) run.push_back({"written by", html::escape("unfriend " + r.command)});
  if (!r.version.empty()) run.push_back({"unfriend version", html::escape(r.version)});
  if (!r.input_path.empty()) run.push_back({"input", html::escape(r.input_path)});
  if (r.input_rows >= 0 || r.input_features >= 0) {
    run.push_back(
        {"input shape", fmt::format("{} rows &times; {} features", html::count(r.input_rows),
                                    html::count(r.input_features))});
  }
  if (!r.config_source.empty()) run.push_back({"configuration", html::escape(r.config_source)});
  if (r.config.is_object()) run.push_back({"cluster method", html::escape(cluster_method(r))});
  if (!r.backend.empty()) run.push_back({"backend", html::escape(r.backend)});
  if (r.knn.is_object()) {
    std::string knn;
    for (const auto& [key, value] : r.knn.items()) {
      knn += fmt::format("{}{} {}", knn.empty() ? "" : ", ", key, json_text(value));
    }
    run.push_back({"kNN graph", html::escape(knn)});
  }
  out += "<div><h3>Run</h3>\n" + html::key_value_table(run) + "</div>\n";

  if (r.stage_seconds.is_object() && !r.stage_seconds.empty()) {
    std::vector<std::pair<std::string, std::string>> stages;
    double total = 0;
    for (const auto& [stage, seconds] : r.stage_seconds.items()) {
      const double s = seconds.is_number() ? seconds.get<double>() : NAN;
      if (std::isfinite(s)) total += s;
      stages.push_back({stage, html::escape(html::number(s, 3) + " s")});
    }
    stages.push_back({"sum of the stages", html::escape(html::number(total, 3) + " s")});
    out += "<div><h3>Stage timings</h3>\n" + html::key_value_table(stages) + "</div>\n";
  }
  out += "</div></section>\n";
  return out;
}

namespace {

// What each recorded threshold means (keys written by the sweep; others are shown as they are).
const char* threshold_meaning(const std::string& key) {
  static const std::pair<const char*, const char*> kMeanings[] = {
      {"min_pts",
       "neighbours within eps that make a core account; its distance to the min_pts-th neighbour "
       "is its core distance"},
      {"genuine_core_distance", "core distance of the genuine population's mode (score 0)"},
      {"genuine_log_core_distance", "its natural log"},
      {"genuine_log_spread",
       "robust deviation of log core distance below the mode: one unit of score"},
      {"valley_found",
       "whether a density gap was found between the genuine population and a tighter one"},
      {"valley_core_distance", "the core distance of that gap"},
      {"eps_distance", "kNN-DBSCAN eps: core accounts have core distance at or below it"},
      {"eps_similarity", "eps as a similarity in the metric's units"},
      {"eps_rule",
       "how eps was placed: valley, robust_z (that many deviations below the mode) or fixed"},
      {"duplicate_distance",
       "pairs at or below this distance are near-duplicates (a pair distance, not a core "
       "distance)"},
      {"duplicate_similarity", "the same as a similarity"},
      {"duplicate_rule", "ratio (of the genuine core distance) or fixed"},
      {"min_cohesion",
       "split-respect test: share of sampled members whose nearest accounts are fellow members, in "
       "both feature halves"},
      {"cohesion_halves", "the seeded split of the informative features into two halves"},
  };
  for (const auto& [name, meaning] : kMeanings) {
    if (key == name) return meaning;
  }
  return "";
}

std::string threshold_value(const std::string& key, const nlohmann::json& value) {
  if (key == "cohesion_halves" && value.is_array()) {
    std::string out;
    for (const auto& half : value) {
      out += fmt::format("{}{} features: {}", out.empty() ? "" : "<br>",
                         half.is_array() ? half.size() : 0, html::escape(json_text(half)));
    }
    return out.empty() ? html::escape(json_text(value)) : out;
  }
  return html::escape(json_text(value));
}

}  // namespace

std::string thresholds_section(const Context& c) {
  const ResultFile& r = c.result;
  std::string out = "<section id=\"thresholds\"><h2>Thresholds and the distances they cut</h2>\n";
  const nlohmann::json& t = r.thresholds;
  if (t.is_object()) {
    html::Table table("thresholds-table", {{"threshold"}, {"value"}, {"meaning"}});
    for (const auto& [key, value] : t.items()) {
      table.add_row({html::text_cell(key),
                     html::html_cell(threshold_value(key, value), json_text(value)),
                     html::text_cell(threshold_meaning(key))});
    }
    out += table.render();
  } else {
    out += "<p class=\"note\">This result records no thresholds attribute.</p>\n";
  }
  out += core_distance_histogram(c) + score_histogram(c) + hierarchy_histogram(c);
  out += "</section>\n";
  return out;
}

std::string configuration_section(const Context& c) {
  const ResultFile& r = c.result;
  if (!r.config.is_object() && !r.summary.is_object()) return {};
  std::string out = "<section id=\"configuration\"><h2>Configuration</h2>\n";
  if (r.config.is_object()) {
    out +=
        "<details><summary>The full effective configuration (root attribute "
        "<code>config</code>)</summary><pre>" +
        html::escape(r.config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) +
        "</pre></details>\n";
  }
  if (r.summary.is_object()) {
    out +=
        "<details><summary>The run's summary (root attribute <code>summary</code>)</summary><pre>" +
        html::escape(r.summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) +
        "</pre></details>\n";
  }
  out += "</section>\n";
  return out;
}

}  // namespace report

std::string render_report(const ResultFile& result, const ReportOptions& options) {
  const report::Context context(result, options);
  std::string body;
  body += fmt::format("<header><h1>unfriend report</h1><p>{}</p></header>\n",
                      html::escape(result.path));
  const std::string summary = report::summary_section(context);
  const std::string diff = report::diff_section(context);
  const std::string review = report::review_section(context);
  const std::string thresholds = report::thresholds_section(context);
  const std::string clusters = report::clusters_section(context);
  const std::string profiles = report::profiles_section(context);
  const std::string dups = report::dup_groups_section(context);
  const std::string campaigns = report::campaigns_section(context);
  const std::string configuration = report::configuration_section(context);
  std::string nav = "<nav>";
  auto link = [&](const std::string& section, const char* anchor, const char* text) {
    if (!section.empty()) nav += fmt::format("<a href=\"#{}\">{}</a>", anchor, text);
  };
  link(summary, "summary", "Summary");
  link(diff, "changes", "Changes");
  link(review, "review", "Review queue");
  link(thresholds, "thresholds", "Thresholds");
  link(clusters, "clusters", "Clusters");
  link(profiles, "profiles", "Cluster profiles");
  link(dups, "dup-groups", "Duplicate groups");
  link(campaigns, "campaigns", "Campaigns");
  link(configuration, "configuration", "Configuration");
  nav += "</nav>\n";
  body += nav + "<main>\n" + summary + diff + review + thresholds + clusters + profiles + dups +
          campaigns + configuration + "</main>\n";
  return html::page("unfriend report: " + result.path, body);
}

}  // namespace unfriend
