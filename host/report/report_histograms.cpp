// The histograms of the thresholds section, each with the recorded thresholds drawn where they
// fall and a line saying what is drawn: the core distance of every account (when the result
// records it), its score (robust deviations below the genuine mode), and for the hierarchy the
// distance at which each account leaves its tree cluster.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "host/report/html.h"
#include "host/report/report_sections.h"
#include "host/report/svg_chart.h"

namespace unfriend::report {

namespace {

constexpr size_t kBins = 90;
constexpr int kWidth = 1160;

bool in_any_group(const ResultFile& r, size_t row) {
  return (!r.cluster.empty() && r.cluster[row] >= 0) ||
         (!r.dup_group.empty() && r.dup_group[row] >= 0) ||
         (!r.campaign.empty() && r.campaign[row] >= 0);
}

// A recorded distance (> 0), or NaN.
double recorded_distance(const nlohmann::json& t, const char* key) {
  return has_number(t, key) && t[key].get<double>() > 0 ? t[key].get<double>() : NAN;
}

struct LogHistogram {
  std::string svg;
  int64_t drawn = 0, zero = 0, missing = 0;  // accounts drawn, at distance 0, without one
};

// Distances on a log10 axis, all accounts in grey and those of `highlight` in red, with the
// markers (at distances) inside the axis.
template <typename Highlight>
LogHistogram log_histogram(const std::vector<float>& distance, Highlight highlight,
                           const char* highlight_label, std::vector<svg::Marker> markers,
                           const std::string& title,
                           std::function<std::string(double)> subtext = {}) {
  LogHistogram h;
  double lo = INFINITY, hi = -INFINITY;
  for (float d : distance) {
    if (std::isfinite(d) && d > 0) {
      const double x = std::log10(static_cast<double>(d));
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  }
  for (svg::Marker& m : markers) {
    m.x = std::log10(m.x);
    lo = std::min(lo, m.x);
    hi = std::max(hi, m.x);
  }
  if (!(lo < hi)) return h;
  const double pad = (hi - lo) * 0.02;
  lo -= pad;
  hi += pad;
  svg::Series all{"all assessed accounts", "#9aa5b5", std::vector<int64_t>(kBins, 0)};
  svg::Series marked{highlight_label, "#c0392b", std::vector<int64_t>(kBins, 0)};
  for (size_t row = 0; row < distance.size(); ++row) {
    const float d = distance[row];
    if (d == 0) {
      ++h.zero;
      continue;
    }
    if (!std::isfinite(d) || d < 0) {
      ++h.missing;
      continue;
    }
    ++h.drawn;
    const double x = std::log10(static_cast<double>(d));
    svg::add_to_bins(all.counts, x, lo, hi);
    if (highlight(row)) svg::add_to_bins(marked.counts, x, lo, hi);
  }
  svg::Histogram chart;
  chart.title = title;
  chart.x_label = subtext ? "distance (log scale); second line: the score at that distance"
                          : "distance (log scale)";
  chart.x_min = lo;
  chart.x_max = hi;
  chart.series = {all, marked};
  chart.markers = std::move(markers);
  chart.tick_text = [](double x) { return fmt::format("{:.3g}", std::pow(10.0, x)); };
  if (subtext) chart.tick_subtext = [subtext](double x) { return subtext(std::pow(10.0, x)); };
  chart.width = kWidth;
  h.svg = svg::render_histogram(chart);
  return h;
}

std::string not_drawn(const LogHistogram& h, const char* zero_meaning) {
  std::string out;
  if (h.zero > 0) {
    out += fmt::format("Not drawn: {} accounts at distance 0 ({}). ", html::count(h.zero),
                       zero_meaning);
  }
  if (h.missing > 0) {
    out += fmt::format("{} accounts have none recorded (not assessed, or no neighbour). ",
                       html::count(h.missing));
  }
  return out;
}

}  // namespace

std::string core_distance_histogram(const Context& c) {
  const ResultFile& r = c.result;
  if (r.core_distance.empty()) return {};
  const nlohmann::json& t = r.thresholds;
  const std::string method = cluster_method(r);
  std::vector<svg::Marker> markers;
  std::string drawn;
  const double eps = recorded_distance(t, "eps_distance");
  if (std::isfinite(eps)) {
    markers.push_back({eps, fmt::format("eps {:.3g}", eps), "#c0392b", method != "eps"});
    drawn += fmt::format(
        "The red line is eps ({:.4g}): accounts left of it are core accounts of kNN-DBSCAN{}. ",
        eps,
        method == "eps" ? ""
                        : " (this result used the " + html::escape(method) +
                              " method, which picks clusters at their own density: the line is "
                              "dashed, for reference only)");
  }
  const double valley = t.is_object() && t.value("valley_found", false)
                            ? recorded_distance(t, "valley_core_distance")
                            : NAN;
  if (std::isfinite(valley)) {
    markers.push_back({valley, fmt::format("density valley {:.3g}", valley), "#d68910", true});
    drawn += fmt::format("The orange dashed line is the density valley the sweep found ({:.4g}). ",
                         valley);
  }
  const double genuine = recorded_distance(t, "genuine_core_distance");
  if (std::isfinite(genuine)) {
    markers.push_back({genuine, fmt::format("genuine mode {:.3g}", genuine), "#1e8449", true});
    drawn += fmt::format(
        "The green dashed line is the genuine population's mode ({:.4g}): scores count robust "
        "deviations below it. ",
        genuine);
  }
  const ScoreAxis& a = c.axis;
  std::function<std::string(double)> score_text;
  if (a.mapped) {
    score_text = [a](double d) {
      return fmt::format("{:.3g}", std::max(0.0, (a.mode - std::log(d)) / a.spread));
    };
  }
  const LogHistogram h = log_histogram(
      r.core_distance, [&](size_t row) { return in_any_group(r, row); },
      "in a cluster, duplicate group or campaign", markers,
      "Core distance of every account (/labels/core_distance)", score_text);
  if (h.svg.empty()) return {};
  return "<h3>Core distance (/labels/core_distance)</h3>\n" + h.svg +
         fmt::format(
             "<p class=\"note\">What is drawn: the histogram of every account's core distance "
             "(its distance to its min_pts-th neighbour, log axis; log count axis), {} accounts, "
             "in red those in a group. {}{}The near-duplicate threshold is a distance between two "
             "accounts, not a core distance, so it is not drawn here (see the table).</p>\n",
             html::count(h.drawn), drawn,
             not_drawn(h, "at least min_pts exact copies of each other"));
}

std::string score_histogram(const Context& c) {
  const ResultFile& r = c.result;
  if (r.score.empty()) {
    return "<p class=\"note\">No per-account score (/labels/score) in this result: nothing to "
           "draw.</p>\n";
  }
  const ScoreAxis& a = c.axis;
  const std::string method = cluster_method(r);
  std::vector<svg::Marker> markers;
  std::string drawn;
  if (std::isfinite(a.eps)) {
    const double eps = a.core_distance(a.eps);
    markers.push_back({a.eps, fmt::format("eps: score {:.2f} (core distance {:.3g})", a.eps, eps),
                       "#c0392b", method != "eps"});
    drawn += fmt::format(
        "The red line is eps (core distance {:.4g}, score {:.2f}): accounts to its right are core "
        "accounts of kNN-DBSCAN{}. ",
        eps, a.eps, method == "eps" ? "" : " (dashed: not what this result's method used)");
  }
  if (std::isfinite(a.valley)) {
    markers.push_back(
        {a.valley, fmt::format("density valley: score {:.2f}", a.valley), "#d68910", true});
    drawn += fmt::format(
        "The orange dashed line is the density valley the sweep found (core distance {:.4g}). ",
        a.core_distance(a.valley));
  }
  if (a.mapped) {
    markers.push_back({0.0, "genuine mode (score 0)", "#1e8449", true});
    drawn += fmt::format(
        "The green dashed line is the genuine population's mode (core distance {:.4g}). ",
        a.core_distance(0));
  }
  svg::Series all{"all assessed accounts", "#9aa5b5", std::vector<int64_t>(kBins, 0)};
  svg::Series flagged{"in a cluster, duplicate group or campaign", "#c0392b",
                      std::vector<int64_t>(kBins, 0)};
  int64_t at_zero = 0, scored = 0;
  for (size_t row = 0; row < r.accounts(); ++row) {
    const float s = r.score[row];
    if (!std::isfinite(s)) continue;
    ++scored;
    at_zero += s <= 0;
    if (a.at_zero_distance(s)) continue;  // counted apart, below
    svg::add_to_bins(all.counts, s, 0, a.x_max);
    if (in_any_group(r, row)) svg::add_to_bins(flagged.counts, s, 0, a.x_max);
  }
  svg::Histogram chart;
  chart.title = "Per-account score (robust deviations tighter than the genuine mode)";
  chart.x_label =
      a.mapped
          ? "score (robust deviations tighter than the genuine mode); second line: core distance"
          : "score (robust deviations tighter than the genuine mode)";
  chart.x_min = 0;
  chart.x_max = a.x_max;
  chart.series = {all, flagged};
  chart.markers = markers;
  chart.width = kWidth;
  if (a.mapped) {
    chart.tick_subtext = [a](double s) { return fmt::format("{:.3g}", a.core_distance(s)); };
  }
  return "<h3>Per-account score (/labels/score)</h3>\n" + svg::render_histogram(chart) +
         fmt::format(
             "<p class=\"note\">What is drawn: the histogram of /labels/score over the {} scored "
             "accounts (log count axis), and in red the accounts in a group. The score is how "
             "many robust deviations an account's core distance (distance to its min_pts-th "
             "neighbour) lies below the genuine population's mode, clipped at 0: the {} accounts "
             "({}) at 0 are at or looser than the mode. {}{}{}The near-duplicate threshold is a "
             "distance between two accounts, not a core distance, so it has no place on this "
             "axis and is listed in the table only.</p>\n",
             html::count(scored), html::count(at_zero), html::percent(at_zero, scored), drawn,
             a.mapped ? ""
                      : "The result does not record the genuine mode and spread, so no threshold "
                        "can be placed on this axis. ",
             a.zero_distance > 0
                 ? fmt::format("Not drawn: {} accounts with core distance 0 (at least min_pts "
                               "exact copies; score {:.1f}). ",
                               html::count(a.zero_distance), a.zero_distance_score)
                 : std::string());
}

std::string hierarchy_histogram(const Context& c) {
  const ResultFile& r = c.result;
  if (r.hierarchy_distance.empty()) return {};
  const nlohmann::json& t = r.thresholds;
  std::vector<svg::Marker> markers;
  const double genuine = recorded_distance(t, "genuine_core_distance");
  if (std::isfinite(genuine))
    markers.push_back({genuine, "genuine core distance", "#1e8449", true});
  const double eps = recorded_distance(t, "eps_distance");
  if (std::isfinite(eps)) markers.push_back({eps, "eps (reference)", "#c0392b", true});
  const LogHistogram h = log_histogram(
      r.hierarchy_distance, [&](size_t row) { return !r.cluster.empty() && r.cluster[row] >= 0; },
      "in a selected cluster", markers,
      "Distance at which each account leaves its tree cluster (/hierarchy/account_distance)");
  if (h.svg.empty()) return {};
  return "<h3>Density hierarchy: /hierarchy/account_distance</h3>\n" + h.svg +
         "<p class=\"note\">What is drawn: the histogram of the mutual-reachability distance at "
         "which each account leaves the last tree cluster it belongs to (log axis), in red the "
         "accounts of selected clusters; the genuine core distance and eps are marked for scale "
         "(the hierarchy selects clusters at their own density, not at eps). " +
         not_drawn(h, "exact copies") + "</p>\n";
}

}  // namespace unfriend::report
