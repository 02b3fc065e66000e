#include "host/report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "host/report/html.h"

namespace unfriend::svg {

namespace {

using html::escape;

// Round tick positions covering [lo, hi], about `target` of them (1, 2 or 5 times a power of 10).
std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  const double raw = (hi - lo) / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * power;
    if (step >= raw) break;
  }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::string default_tick(double x) { return fmt::format("{:.3g}", x); }

std::string count_tick(double c) {
  return c >= 1e6 ? fmt::format("{:.0e}", c) : html::count(static_cast<int64_t>(std::llround(c)));
}

// A vertical count axis: linear from 0, or log10 from 0.5 so that a count of 1 shows.
struct CountScale {
  bool log = false;
  double top_value = 1;
  double top = 0, bottom = 0;  // pixel rows of the plot area
  double y(double count) const {
    double f;
    if (log) {
      if (count <= 0) return bottom;
      f = (std::log10(count) - std::log10(0.5)) / (std::log10(top_value) - std::log10(0.5));
    } else {
      f = count / top_value;
    }
    return bottom - std::clamp(f, 0.0, 1.0) * (bottom - top);
  }
  std::vector<double> ticks() const {
    if (!log) return nice_ticks(0, top_value, 4);
    std::vector<double> t;
    for (double p = 1; p <= top_value; p *= 10) t.push_back(p);
    return t;
  }
};

CountScale count_scale(bool log, double max_count, double top, double bottom) {
  CountScale s;
  s.log = log;
  s.top_value = log ? std::max(2.0, max_count * 1.6) : std::max(1.0, max_count * 1.05);
  s.top = top;
  s.bottom = bottom;
  return s;
}

std::string open_svg(int width, int height, const std::string& title) {
  return fmt::format(
      "<svg viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" role=\"img\" aria-label=\"{2}\"><title>{2}</title>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#fff\"/>\n",
      width, height, escape(title));
}

std::string count_axis(const CountScale& s, double left, double right, const std::string& label) {
  std::string out;
  for (double t : s.ticks()) {
    const double y = s.y(t);
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e3e6ea\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
        left, y, right, y, left - 4, y + 4, escape(count_tick(t)));
  }
  out += fmt::format(
      "<text x=\"12\" y=\"{:.1f}\" transform=\"rotate(-90 12 {:.1f})\" text-anchor=\"middle\">"
      "{}</text>\n",
      (s.top + s.bottom) / 2, (s.top + s.bottom) / 2, escape(label));
  return out;
}

// An element wrapped in a link when href is set (SVG 2 href, which browsers follow in-page).
std::string maybe_link(const std::string& href, const std::string& element) {
  if (href.empty()) return element;
  return fmt::format("<a href=\"{}\">{}</a>", escape(href), element);
}

}  // namespace

void add_to_bins(std::vector<int64_t>& counts, double value, double x_min, double x_max) {
  if (counts.empty() || std::isnan(value)) return;
  const double bins = static_cast<double>(counts.size());
  double f = x_max > x_min ? (value - x_min) / (x_max - x_min) : 0.0;
  const auto bin = static_cast<size_t>(std::clamp(std::floor(f * bins), 0.0, bins - 1));
  ++counts[bin];
}

std::string render_histogram(const Histogram& c) {
  const double left = 64, right = c.width - 20.0, top = 46, bottom = c.height - 66.0;
  int64_t max_count = 0;
  for (const Series& s : c.series) {
    for (int64_t n : s.counts) max_count = std::max(max_count, n);
  }
  const CountScale ys = count_scale(c.log_y, static_cast<double>(max_count), top, bottom);
  const double span = c.x_max > c.x_min ? c.x_max - c.x_min : 1.0;
  auto x_of = [&](double x) { return left + (x - c.x_min) / span * (right - left); };
  const auto tick_text = c.tick_text ? c.tick_text : default_tick;

  std::string out = open_svg(c.width, c.height, c.title);
  out += count_axis(ys, left, right, c.log_y ? "accounts (log scale)" : "accounts");
  // Bars: one path per series keeps the file small at any number of bins.
  for (const Series& s : c.series) {
    std::string path;
    const double width = (right - left) / static_cast<double>(std::max<size_t>(1, s.counts.size()));
    for (size_t i = 0; i < s.counts.size(); ++i) {
      if (s.counts[i] <= 0) continue;
      const double x = left + static_cast<double>(i) * width,
                   y = ys.y(static_cast<double>(s.counts[i]));
      path += fmt::format("M{:.1f} {:.1f}h{:.2f}V{:.1f}h{:.2f}Z", x, bottom, width, y, -width);
    }
    if (!path.empty()) {
      out += fmt::format(
          "<path d=\"{}\" fill=\"{}\" stroke=\"#fff\" "
          "stroke-width=\"0.3\"><title>{}</title></path>\n",
          path, escape(s.color), escape(s.label));
    }
  }
  // The x axis, its ticks and their second line.
  out += fmt::format(
      "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#555\"/>\n", left,
      bottom, right, bottom);
  for (double t : nice_ticks(c.x_min, c.x_max, 9)) {
    const double x = x_of(t);
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#555\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
        x, bottom, bottom + 4, bottom + 16, escape(tick_text(t)));
    if (c.tick_subtext) {
      out += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"#777\">{}</text>\n", x,
          bottom + 29, escape(c.tick_subtext(t)));
    }
  }
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                     (left + right) / 2, bottom + 44, escape(c.x_label));
  // Threshold lines, their labels stacked in three rows above the plot so that close ones stay
  // readable.
  for (size_t i = 0; i < c.markers.size(); ++i) {
    const Marker& m = c.markers[i];
    if (!(m.x >= c.x_min && m.x <= c.x_max)) continue;
    const double x = x_of(m.x), label_y = 12.0 + 11.0 * static_cast<double>(i % 3);
    const char* anchor = x > right - 120 ? "end" : (x < left + 120 ? "start" : "middle");
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"1.6\"{4}/><text x=\"{0:.1f}\" y=\"{5:.1f}\" text-anchor=\"{6}\" "
        "style=\"fill:{3}\">{7}</text>\n",
        x, label_y + 3, bottom, escape(m.color), m.dashed ? " stroke-dasharray=\"5 3\"" : "",
        label_y, anchor, escape(m.label));
  }
  // Legend in the bottom margin, left, where no bar or threshold label can cover it.
  double legend_x = left;
  for (const Series& s : c.series) {
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
        legend_x, c.height - 15.0, escape(s.color), legend_x + 14, c.height - 6.0, escape(s.label));
    legend_x += 30 + 6.2 * static_cast<double>(s.label.size());
  }
  out += "</svg>\n";
  return out;
}

std::string render_bar_chart(const BarChart& c) {
  const double left = 64, right = c.width - 20.0, top = 16, bottom = c.height - 40.0;
  double max_value = 0;
  for (const Bar& b : c.bars) max_value = std::max(max_value, b.value);
  const CountScale ys = count_scale(c.log_y, max_value, top, bottom);
  std::string out = open_svg(c.width, c.height, c.title);
  out += count_axis(ys, left, right, c.y_label);
  const double n = static_cast<double>(std::max<size_t>(1, c.bars.size()));
  const double slot = (right - left) / n;
  const double width = slot > 4 ? slot * 0.82 : slot;
  const size_t label_every = static_cast<size_t>(std::ceil(n / 30.0));
  for (size_t i = 0; i < c.bars.size(); ++i) {
    const Bar& b = c.bars[i];
    const double x = left + static_cast<double>(i) * slot, y = ys.y(b.value);
    out += maybe_link(
        b.href,
        fmt::format("<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
                    "fill=\"{}\"><title>{}</title></rect>",
                    x, y, width, std::max(0.5, bottom - y), escape(c.color), escape(b.tooltip)));
    out += '\n';
    if (i % label_every == 0) {
      out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                         x + width / 2, bottom + 14, escape(b.label));
    }
  }
  out += fmt::format(
      "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#555\"/>\n", left,
      bottom, right, bottom);
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                     (left + right) / 2, c.height - 6.0, escape(c.title));
  out += "</svg>\n";
  return out;
}

std::string utc_time(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  const std::time_t t = static_cast<std::time_t>(std::floor(seconds));
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "?";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
  return text;
}

std::string render_timeline(const Timeline& c) {
  const double row = 18, left = 150, right = c.width - 24.0, top = 34;
  const double height = top + row * static_cast<double>(c.spans.size()) + 14;
  double lo = 0, hi = 0, max_weight = 0;
  for (size_t i = 0; i < c.spans.size(); ++i) {
    const Span& s = c.spans[i];
    lo = i ? std::min(lo, s.begin) : s.begin;
    hi = i ? std::max(hi, s.end) : s.end;
    max_weight = std::max(max_weight, s.weight);
  }
  if (!(hi > lo)) hi = lo + 60;
  const double pad = (hi - lo) * 0.02;
  lo -= pad;
  hi += pad;
  auto x_of = [&](double t) { return left + (t - lo) / (hi - lo) * (right - left); };
  std::string out = open_svg(c.width, static_cast<int>(std::ceil(height)), c.title);
  // Time ticks at round steps, at most about six labels.
  static constexpr double kSteps[] = {60,        300,        900,        1800,       3600,
                                      3 * 3600,  6 * 3600,   12 * 3600,  86400,      2 * 86400,
                                      7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400};
  double step = kSteps[std::size(kSteps) - 1];
  for (double s : kSteps) {
    if ((hi - lo) / s <= 6) {
      step = s;
      break;
    }
  }
  for (double t = std::ceil(lo / step) * step; t <= hi; t += step) {
    const double x = x_of(t);
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e3e6ea\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4} UTC</text>\n",
        x, top - 6, height - 10, top - 12, escape(utc_time(t)));
  }
  for (size_t i = 0; i < c.spans.size(); ++i) {
    const Span& s = c.spans[i];
    const double y = top + row * static_cast<double>(i) + row / 2;
    const double thickness = 3 + 10 * std::sqrt(max_weight > 0 ? s.weight / max_weight : 1);
    const double x0 = x_of(s.begin), x1 = std::max(x_of(s.end), x0 + 2);
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", left - 6,
                       y + 4, escape(s.label));
    out += maybe_link(s.href,
                      fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                                  "height=\"{:.1f}\" rx=\"2\" fill=\"#8e44ad\" "
                                  "fill-opacity=\"0.75\"><title>{}</title></rect>",
                                  x0, y - thickness / 2, x1 - x0, thickness, escape(s.tooltip)));
    out += '\n';
  }
  out += "</svg>\n";
  return out;
}

}  // namespace unfriend::svg
