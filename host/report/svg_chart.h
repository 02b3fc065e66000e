// The report's plots, as inline SVG written here (no plotting library, nothing fetched): a
// histogram with labelled threshold lines, a bar chart of group sizes and a timeline of
// campaigns. Every text is escaped; bars and rows can link to a section of the page.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace unfriend::svg {

/// A vertical line at x, labelled near the top of the plot.
struct Marker {
  double x = 0;
  std::string label;
  std::string color = "#c0392b";
  bool dashed = false;
};

struct Series {
  std::string label;  // legend text
  std::string color;
  std::vector<int64_t> counts;  // one per bin
};

/// Uniform bins over [x_min, x_max]; series are drawn over each other in order (the later ones
/// should be subsets of the earlier ones, e.g. all accounts, then the flagged ones).
struct Histogram {
  std::string title;
  std::string x_label;
  double x_min = 0, x_max = 1;
  std::vector<Series> series;
  std::vector<Marker> markers;
  bool log_y = true;
  /// Tick text under the axis, and an optional second line under it (e.g. the same position
  /// in another unit); defaults: 3 significant digits, none.
  std::function<std::string(double)> tick_text;
  std::function<std::string(double)> tick_subtext;
  int width = 900, height = 330;
};

/// Adds `value` to the bin of [x_min, x_max] it falls in (values outside are clamped to the end
/// bins; NaN is ignored).
void add_to_bins(std::vector<int64_t>& counts, double value, double x_min, double x_max);

std::string render_histogram(const Histogram& chart);

struct Bar {
  std::string label;  // under the bar (thinned out when there are many)
  double value = 0;
  std::string tooltip;  // shown on hover
  std::string href;     // "#anchor", or "" for none
};

struct BarChart {
  std::string title;
  std::string y_label;
  std::vector<Bar> bars;
  bool log_y = false;
  std::string color = "#3b6fb6";
  int width = 900, height = 260;
};

std::string render_bar_chart(const BarChart& chart);

/// One campaign: active from begin to end (Unix seconds), drawn thicker for a larger weight.
struct Span {
  std::string label;
  double begin = 0, end = 0;
  double weight = 1;
  std::string tooltip;
  std::string href;
};

struct Timeline {
  std::string title;
  std::vector<Span> spans;
  int width = 900;
};

std::string render_timeline(const Timeline& chart);

/// Unix seconds as "2024-03-01 14:05" (UTC).
std::string utc_time(double seconds);

}  // namespace unfriend::svg
