// The group sections of the report: cluster sizes, the cluster table and per-cluster profiles
// of the recorded evidence, near-duplicate groups, lockstep campaigns with their timeline.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "host/report/html.h"
#include "host/report/report_sections.h"
#include "host/report/svg_chart.h"

namespace unfriend::report {

namespace {

template <typename T>
double at(const std::vector<T>& column, size_t row) {
  return column.empty() ? NAN : static_cast<double>(column[row]);
}

std::string text_at(const std::vector<std::string>& column, size_t row) {
  return column.empty() ? std::string() : column[row];
}

html::Cell optional_number(const std::vector<float>& column, size_t row, int significant = 3) {
  return column.empty() ? html::missing_cell() : html::number_cell(column[row], significant);
}

html::Cell optional_int(const std::vector<int64_t>& column, size_t row) {
  return column.empty() ? html::missing_cell() : html::int_cell(column[row]);
}

html::Cell optional_id(const std::vector<int64_t>& column, size_t row) {
  return column.empty() ? html::missing_cell() : html::id_cell(column[row]);
}

html::Cell optional_text(const std::vector<std::string>& column, size_t row) {
  return column.empty() ? html::missing_cell() : html::text_cell(column[row]);
}

std::string ids_text(const std::vector<int64_t>& ids, int64_t total) {
  std::string out;
  for (int64_t id : ids) out += fmt::format("{}{}", out.empty() ? "" : ", ", id);
  if (total > static_cast<int64_t>(ids.size())) out += ", …";
  return out;
}

double median_of(std::vector<float> values) {
  if (values.empty()) return NAN;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  return values[mid];
}

// What became of the density step's candidates (/candidates/outcome), in words.
std::string candidates_note(const std::vector<std::string>& outcome) {
  if (outcome.empty()) return {};
  static const std::pair<const char*, const char*> kWords[] = {
      {"cluster", "kept as clusters"},
      {"too_small", "too small"},
      {"not_tighter", "not tighter than their surroundings"},
      {"not_cohesive", "not a network in both halves of the features"}};
  std::map<std::string, int64_t> counts;
  for (const std::string& o : outcome) ++counts[o];
  std::string parts;
  auto add = [&](const std::string& key, const std::string& words) {
    const auto it = counts.find(key);
    if (it == counts.end()) return;
    parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", html::count(it->second),
                         html::escape(words));
    counts.erase(it);
  };
  for (const auto& [key, words] : kWords) add(key, words);
  while (!counts.empty()) add(counts.begin()->first, counts.begin()->first);
  return fmt::format(
      "<p class=\"note\">The density step found {} candidate clusters (/candidates): {}.</p>\n",
      html::count(static_cast<int64_t>(outcome.size())), parts);
}

}  // namespace

std::string clusters_section(const Context& c) {
  const ResultFile& r = c.result;
  const ClusterTable& t = r.clusters;
  if (r.cluster.empty() && t.rows() == 0) return {};
  std::string out = "<section id=\"clusters\"><h2>Click-farm clusters</h2>\n";
  out += candidates_note(r.candidate_outcome);
  if (t.rows() == 0) {
    out += "<p class=\"note\">No cluster was found.</p></section>\n";
    return out;
  }
  const size_t listed = std::min(c.options.max_table_rows, t.rows());
  // Sizes, largest first (at most 200 bars; each links to the cluster's profile).
  svg::BarChart chart;
  chart.title = "cluster sizes, largest first (bars link to the profiles)";
  chart.y_label = "accounts";
  chart.width = 1160;
  int64_t smallest = 0, largest = 0;
  for (size_t i = 0; i < std::min<size_t>(200, listed); ++i) {
    const size_t row = c.clusters_by_size[i];
    const std::string anchor = c.cluster_anchor(row);
    chart.bars.push_back({fmt::format("{}", t.id[row]), static_cast<double>(t.size[row]),
                          fmt::format("cluster {}: {} accounts", t.id[row], t.size[row]),
                          anchor.empty() ? "" : "#" + anchor});
    largest = std::max(largest, t.size[row]);
    smallest = i ? std::min(smallest, t.size[row]) : t.size[row];
  }
  chart.log_y = smallest > 0 && largest > 30 * smallest;
  out += "<h3>Cluster sizes</h3>\n" + svg::render_bar_chart(chart);
  if (listed > 200) out += "<p class=\"note\">The chart shows the 200 largest clusters.</p>\n";

  std::vector<html::Column> columns = {
      {"id", "cluster id (links to its profile)"},
      {"kind", "template_farm, click_farm, ..."},
      {"size", "accounts"},
      {"core", "core accounts (core distance at or below eps)"},
      {"mean sim.", "mean similarity between members along kNN edges"},
      {"tightness", "how much tighter than the accounts around it (surround / internal distance)"},
      {"score", "robust deviations tighter than the genuine population"},
      {"cohesion", "split-respect test: the smaller of the two halves' shares"},
      {"halves", "cohesion in each feature half"},
      {"breadth", "share of features in which the members are abnormally alike (hierarchy)"},
      {"decided by", "the tests that kept the cluster"},
      {"representative", "a central member's account id"}};
  if (r.has_decisions()) columns.push_back({"held", "members held for human review"});
  html::Table table("clusters-table", columns);
  for (size_t i = 0; i < listed; ++i) {
    const size_t row = c.clusters_by_size[i];
    std::vector<html::Cell> cells = {
        html::link_cell(t.id[row], c.cluster_anchor(row)),
        optional_text(t.kind, row),
        html::int_cell(t.size[row]),
        optional_int(t.core_size, row),
        optional_number(t.mean_similarity, row, 4),
        optional_number(t.tightness, row),
        optional_number(t.score, row),
        t.cohesion.empty() ? html::missing_cell() : html::fixed_cell(t.cohesion[row], 3)};
    if (t.cohesion_halves.empty()) {
      cells.push_back(html::missing_cell());
    } else {
      cells.push_back(html::html_cell(
          fmt::format("{} / {}", html::fixed(t.cohesion_halves[2 * row], 2),
                      html::fixed(t.cohesion_halves[2 * row + 1], 2)),
          fmt::format("{}", std::min(t.cohesion_halves[2 * row], t.cohesion_halves[2 * row + 1]))));
    }
    // Breadth is measured by the hierarchy only; eps clusters record 0.
    cells.push_back(at(t.breadth, row) > 0 ? html::number_cell(t.breadth[row], 3)
                                           : html::missing_cell());
    cells.push_back(optional_text(t.decided_by, row));
    cells.push_back(optional_id(t.representative_id, row));
    if (r.has_decisions()) cells.push_back(html::int_cell(c.cluster_members[row].held));
    table.add_row(std::move(cells));
  }
  out +=
      "<h3>All clusters</h3>\n<p class=\"note\">Click a column header to sort; ids link to the "
      "cluster's profile.</p>\n" +
      omitted_note(listed, t.rows(), "clusters") + table.render();
  out += "</section>\n";
  return out;
}

// The cluster's feature profile (/clusters/feature_spread): its members' spread over
// everyone's per feature; below 0.5 it is abnormally alike there.
std::string feature_profile(const ResultFile& r, size_t row) {
  const ClusterTable& t = r.clusters;
  const size_t cols = t.feature_columns;
  if (t.feature_spread.empty() || cols == 0) return {};
  auto name = [&](size_t j) {
    return j < r.feature_names.size() ? r.feature_names[j] : fmt::format("feature {}", j);
  };
  svg::BarChart chart;
  chart.title = fmt::format("cluster {}: members' spread / everyone's, per feature", t.id[row]);
  chart.y_label = "spread ratio";
  chart.width = 420;
  chart.height = 190;
  std::vector<std::pair<float, size_t>> alike;
  for (size_t j = 0; j < cols; ++j) {
    const float v = t.feature_spread[row * cols + j];
    if (!std::isfinite(v)) continue;
    chart.bars.push_back(
        {fmt::format("{}", j), v, fmt::format("{}: {}", name(j), html::fixed(v, 3)), ""});
    if (v < 0.5f) alike.push_back({v, j});
  }
  std::sort(alike.begin(), alike.end());
  std::string list;
  for (size_t i = 0; i < alike.size() && i < 12; ++i) {
    list += fmt::format("{}{} {}", i ? ", " : "", html::escape(name(alike[i].second)),
                        html::fixed(alike[i].first, 2));
  }
  return fmt::format(
             "<p class=\"note\">Alike (spread under half of everyone's) in {} of {} "
             "features{}{}</p>\n",
             alike.size(), cols, alike.empty() ? "" : ": ", list) +
         svg::render_bar_chart(chart);
}

std::string profiles_section(const Context& c) {
  const ResultFile& r = c.result;
  const ClusterTable& t = r.clusters;
  if (t.rows() == 0) return {};
  const double eps = c.axis.eps, score_max = c.axis.x_max;
  std::string out =
      "<section id=\"profiles\"><h2>Cluster profiles</h2>\n"
      "<p class=\"note\">The evidence the sweep recorded for each cluster, as written "
      "in /clusters, and what its members' labels say. The small histogram is the "
      "members' /labels/score on the axis of the thresholds section (members with "
      "core distance 0 count in its last bin).</p>\n";
  size_t profiled = 0;
  out += "<div class=\"grid\">\n";
  for (size_t row : c.clusters_by_size) {
    if (!c.cluster_profiled[row]) continue;
    ++profiled;
    const Members& m = c.cluster_members[row];
    const std::string kind = text_at(t.kind, row);
    out += fmt::format(
        "<div class=\"profile\" id=\"{}\"><h3>Cluster {}{}<span class=\"badge\">{} "
        "accounts</span>{}</h3>\n",
        c.cluster_anchor(row), t.id[row], kind.empty() ? "" : " · " + html::escape(kind),
        html::count(t.size[row]),
        m.held > 0 ? fmt::format("<span class=\"badge held\">{} held</span>", html::count(m.held))
                   : "");
    std::vector<std::pair<std::string, std::string>> kv;
    kv.push_back(
        {"size (core accounts)",
         fmt::format("{} ({})", html::count(t.size[row]),
                     t.core_size.empty() ? "\xE2\x80\x94" : html::count(t.core_size[row]))});
    kv.push_back({"mean similarity",
                  html::number(at(t.mean_similarity, row), 4) +
                      (at(t.similarity_spread, row) > 0
                           ? " (spread " + html::number(at(t.similarity_spread, row), 3) + ")"
                           : "")});
    kv.push_back({"tightness", fmt::format("{} (internal distance {}, surrounding {})",
                                           html::number(at(t.tightness, row)),
                                           html::number(at(t.internal_distance, row)),
                                           html::number(at(t.surround_distance, row)))});
    kv.push_back({"score", html::number(at(t.score, row))});
    if (!t.cohesion.empty()) {
      kv.push_back(
          {"cohesion", t.cohesion_halves.empty()
                           ? html::number(t.cohesion[row])
                           : fmt::format("{} (halves {} / {})", html::fixed(t.cohesion[row], 3),
                                         html::fixed(t.cohesion_halves[2 * row], 3),
                                         html::fixed(t.cohesion_halves[2 * row + 1], 3))});
    }
    if (at(t.breadth, row) > 0) {
      kv.push_back(
          {"breadth",
           fmt::format(
               "{} ({} features alike; null tightness {})", html::number(at(t.breadth, row)),
               t.alike_features.empty() ? "\xE2\x80\x94" : html::count(t.alike_features[row]),
               html::number(at(t.null_tightness, row)))});
    }
    if (at(t.stability, row) > 0 || at(t.birth_distance, row) > 0) {
      kv.push_back(
          {"hierarchy",
           fmt::format("stability {}, born at distance {}, density distance {}",
                       html::number(at(t.stability, row)), html::number(at(t.birth_distance, row)),
                       html::number(at(t.density_distance, row)))});
    }
    kv.push_back(
        {"decided by", t.decided_by.empty() ? "\xE2\x80\x94" : html::escape(t.decided_by[row])});
    kv.push_back({"representative account", t.representative_id.empty()
                                                ? "\xE2\x80\x94"
                                                : fmt::format("{}", t.representative_id[row])});
    if (!m.scores.empty()) {
      const auto [lo, hi] = std::minmax_element(m.scores.begin(), m.scores.end());
      kv.push_back(
          {"member scores", fmt::format("min {}, median {}, max {}", html::number(*lo),
                                        html::number(median_of(m.scores)), html::number(*hi))});
    }
    if (m.count != t.size[row]) {
      kv.push_back({"labelled members", fmt::format("{} (the table says {})", html::count(m.count),
                                                    html::count(t.size[row]))});
    }
    if (!r.dup_group.empty())
      kv.push_back({"also in a duplicate group", html::count(m.in_dup_group)});
    if (!r.campaign.empty()) kv.push_back({"also in a campaign", html::count(m.in_campaign)});
    if (r.has_decisions()) {
      kv.push_back({"decisions",
                    fmt::format("{} flagged, {} held, {} not flagged", html::count(m.flagged),
                                html::count(m.held), html::count(m.count - m.flagged - m.held))});
    }
    kv.push_back({"first member ids", html::escape(ids_text(m.sample_ids, m.count))});
    out += html::key_value_table(kv);
    if (!m.scores.empty()) {
      svg::Histogram h;
      h.title = fmt::format("cluster {}: member scores", t.id[row]);
      h.x_label = "member score";
      h.x_min = 0;
      h.x_max = score_max;
      h.width = 420;
      h.height = 190;
      h.log_y = false;
      svg::Series s{"members", "#c0392b", std::vector<int64_t>(40, 0)};
      for (float v : m.scores) svg::add_to_bins(s.counts, v, 0, score_max);
      h.series = {s};
      if (std::isfinite(eps)) h.markers.push_back({eps, "eps", "#555", true});
      out += svg::render_histogram(h);
    }
    out += feature_profile(r, row);
    out += "</div>\n";
  }
  out += "</div>\n";
  if (profiled < t.rows()) {
    out += fmt::format(
        "<p class=\"note\">Profiles of the {} largest clusters; {} smaller ones have none "
        "here.</p>\n",
        html::count(static_cast<int64_t>(profiled)),
        html::count(static_cast<int64_t>(t.rows() - profiled)));
  }
  out += "</section>\n";
  return out;
}

std::string dup_groups_section(const Context& c) {
  const ResultFile& r = c.result;
  const DupGroupTable& t = r.dup_groups;
  if (r.dup_group.empty() && t.rows() == 0) return {};
  std::string out = "<section id=\"dup-groups\"><h2>Near-duplicate groups</h2>\n";
  if (t.rows() == 0) {
    out += "<p class=\"note\">No near-duplicate group was found.</p></section>\n";
    return out;
  }
  const size_t listed = std::min(c.options.max_table_rows, t.rows());
  std::vector<html::Column> columns = {{"id"},
                                       {"size", "accounts"},
                                       {"mean sim.", "mean similarity of the group's pairs"},
                                       {"min sim.", "smallest similarity of a joining pair"},
                                       {"representative", "a member's account id"},
                                       {"in a cluster", "members that are also in a cluster"}};
  if (r.has_decisions()) columns.push_back({"held", "members held for human review"});
  html::Table table("dup-groups-table", columns);
  for (size_t i = 0; i < listed; ++i) {
    const size_t row = c.dups_by_size[i];
    std::vector<html::Cell> cells = {html::id_cell(t.id[row]),
                                     html::int_cell(t.size[row]),
                                     optional_number(t.mean_similarity, row, 6),
                                     optional_number(t.min_similarity, row, 6),
                                     optional_id(t.representative_id, row),
                                     html::int_cell(c.dup_members[row].in_cluster)};
    if (r.has_decisions()) cells.push_back(html::int_cell(c.dup_members[row].held));
    table.add_row(std::move(cells));
  }
  out += omitted_note(listed, t.rows(), "duplicate groups") + table.render() + "</section>\n";
  return out;
}

std::string campaigns_section(const Context& c) {
  const ResultFile& r = c.result;
  const CampaignTable& t = r.campaigns;
  if (!r.has_campaigns && r.campaign.empty()) return {};
  std::string out = "<section id=\"campaigns\"><h2>Lockstep campaigns</h2>\n";
  if (t.rows() == 0) {
    out += "<p class=\"note\">No campaign was found.</p></section>\n";
    return out;
  }
  const size_t listed = std::min(c.options.max_table_rows, t.rows());
  if (!t.first_time.empty() && !t.last_time.empty()) {
    std::vector<size_t> drawn(c.campaigns_by_size.begin(),
                              c.campaigns_by_size.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                                c.options.max_timeline, t.rows())));
    std::sort(drawn.begin(), drawn.end(), [&](size_t a, size_t b) {
      return t.first_time[a] != t.first_time[b] ? t.first_time[a] < t.first_time[b]
                                                : t.id[a] < t.id[b];
    });
    svg::Timeline timeline;
    timeline.title = "campaigns: first to last action";
    for (size_t row : drawn) {
      const std::string kind = text_at(t.kind, row);
      timeline.spans.push_back(
          {fmt::format("{} ({}{})", t.id[row], t.size[row], kind.empty() ? "" : ", " + kind),
           static_cast<double>(t.first_time[row]), static_cast<double>(t.last_time[row]),
           static_cast<double>(t.size[row]),
           fmt::format("campaign {}: {} accounts, {} to {} UTC", t.id[row], t.size[row],
                       svg::utc_time(static_cast<double>(t.first_time[row])),
                       svg::utc_time(static_cast<double>(t.last_time[row]))),
           ""});
    }
    out +=
        "<h3>Timeline</h3>\n<p class=\"note\">Each bar runs from a campaign's first to its last "
        "action (/campaigns/first_time, last_time); thicker bars are larger campaigns; labels are "
        "id (accounts, kind).</p>\n" +
        svg::render_timeline(timeline);
    if (drawn.size() < t.rows()) {
      out += fmt::format("<p class=\"note\">The timeline shows the {} largest campaigns.</p>\n",
                         drawn.size());
    }
  }
  std::vector<html::Column> columns = {
      {"id"},
      {"kind"},
      {"size", "accounts"},
      {"slots", "shared (target, kind) slots"},
      {"targets"},
      {"actions"},
      {"first (UTC)"},
      {"last (UTC)"},
      {"median delay s", "median delay after each target's first action"},
      {"edges", "linked pairs"},
      {"mean sim."},
      {"score"},
      {"decided by", "links or group"},
      {"representative"}};
  if (r.has_decisions()) columns.push_back({"held", "members held for human review"});
  html::Table table("campaigns-table", columns);
  auto time_cell = [&](const std::vector<int64_t>& column, size_t row) {
    if (column.empty()) return html::missing_cell();
    return html::html_cell(html::escape(svg::utc_time(static_cast<double>(column[row]))),
                           fmt::format("{}", column[row]));
  };
  auto double_cell = [](const std::vector<double>& column, size_t row, int digits) {
    return column.empty() ? html::missing_cell() : html::number_cell(column[row], digits);
  };
  for (size_t i = 0; i < listed; ++i) {
    const size_t row = c.campaigns_by_size[i];
    std::vector<html::Cell> cells = {html::id_cell(t.id[row]),
                                     optional_text(t.kind, row),
                                     html::int_cell(t.size[row]),
                                     optional_int(t.slots, row),
                                     optional_int(t.targets, row),
                                     optional_int(t.actions, row),
                                     time_cell(t.first_time, row),
                                     time_cell(t.last_time, row),
                                     double_cell(t.median_delay, row, 4),
                                     optional_int(t.edges, row),
                                     double_cell(t.mean_similarity, row, 3),
                                     double_cell(t.score, row, 3),
                                     optional_text(t.decided_by, row),
                                     optional_id(t.representative, row)};
    if (r.has_decisions()) cells.push_back(html::int_cell(c.campaign_members[row].held));
    table.add_row(std::move(cells));
  }
  out += "<h3>All campaigns</h3>\n" + omitted_note(listed, t.rows(), "campaigns") + table.render() +
         "</section>\n";
  return out;
}

}  // namespace unfriend::report
