#include "host/pipeline/density.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "host/core/error.h"

namespace unfriend {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  double pos = q * (sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

// A smoothed histogram of log core distances: where the populations of the data sit.
struct Density {
  double lo = 0, width = 1;
  std::vector<double> count;   // raw counts per bin
  std::vector<double> smooth;  // Gaussian-smoothed counts
  double at(size_t b) const { return lo + (b + 0.5) * width; }
};

Density smoothed_histogram(const std::vector<double>& sorted) {
  constexpr size_t kBins = 400;
  Density d;
  double lo = quantile_sorted(sorted, 0.001), hi = quantile_sorted(sorted, 0.999);
  if (!(hi > lo)) hi = lo + 1e-3;
  d.lo = lo;
  d.width = (hi - lo) / kBins;
  d.count.assign(kBins, 0);
  for (double x : sorted) {
    long b = static_cast<long>((x - lo) / d.width);
    if (b < 0 || b >= static_cast<long>(kBins)) continue;
    d.count[static_cast<size_t>(b)] += 1;
  }
  // Silverman's bandwidth from the robust spread, but never below two bins: enough smoothing
  // to see modes, not so much that a farm mode melts into the genuine one.
  double iqr = quantile_sorted(sorted, 0.75) - quantile_sorted(sorted, 0.25);
  double n = static_cast<double>(sorted.size());
  double bandwidth = std::max(0.9 * (iqr / 1.34) * std::pow(n, -0.2), 2 * d.width);
  bandwidth = std::min(bandwidth, 0.12);
  int radius = static_cast<int>(std::ceil(3 * bandwidth / d.width));
  std::vector<double> kernel(2 * radius + 1);
  for (int t = -radius; t <= radius; ++t) {
    double u = t * d.width / bandwidth;
    kernel[t + radius] = std::exp(-0.5 * u * u);
  }
  d.smooth.assign(kBins, 0);
  for (size_t b = 0; b < kBins; ++b) {
    double sum = 0, weight = 0;
    for (int t = -radius; t <= radius; ++t) {
      long c = static_cast<long>(b) + t;
      if (c < 0 || c >= static_cast<long>(kBins)) continue;
      sum += kernel[t + radius] * d.count[static_cast<size_t>(c)];
      weight += kernel[t + radius];
    }
    d.smooth[b] = sum / weight;
  }
  return d;
}

struct Peak {
  size_t bin;
  double mass;  // share of accounts in the peak's basin (between the neighbouring minima)
};

std::vector<Peak> find_peaks(const Density& d, double total) {
  std::vector<Peak> peaks;
  const auto& f = d.smooth;
  size_t bins = f.size();
  double fmax = *std::max_element(f.begin(), f.end());
  for (size_t b = 0; b < bins; ++b) {
    bool left_ok = b == 0 || f[b] > f[b - 1];
    bool right_ok = b + 1 == bins || f[b] >= f[b + 1];
    if (!left_ok || !right_ok || f[b] < 0.02 * fmax) continue;
    size_t l = b, r = b;
    while (l > 0 && f[l - 1] <= f[l]) --l;
    while (r + 1 < bins && f[r + 1] <= f[r]) ++r;
    double mass = 0;
    for (size_t c = l; c <= r; ++c) mass += d.count[c];
    peaks.push_back(Peak{b, mass / total});
  }
  return peaks;
}

}  // namespace

std::vector<float> edge_distances(const KnnGraph& graph, Metric metric,
                                  const std::vector<float>& squared_norms) {
  std::vector<float> distances(graph.neighbors.size());
  const int k = graph.k;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < graph.rows; ++i) {
    for (int j = 0; j < k; ++j) {
      size_t e = static_cast<size_t>(i * k + j);
      int64_t nb = graph.neighbors[e];
      if (nb < 0) {
        distances[e] = kInf;
        continue;
      }
      double s = graph.similarity[e], d2 = 0;
      switch (metric) {
        case Metric::cosine:
          d2 = 2.0 - 2.0 * s;
          break;
        case Metric::inner_product:
          d2 = static_cast<double>(squared_norms[i]) + squared_norms[nb] - 2.0 * s;
          break;
        case Metric::l2:
          d2 = -s;
          break;
      }
      distances[e] = static_cast<float>(std::sqrt(std::max(0.0, d2)));
    }
  }
  return distances;
}

float similarity_at_distance(Metric metric, double distance) {
  double d2 = distance * distance;
  switch (metric) {
    case Metric::cosine:
      return static_cast<float>(1.0 - d2 / 2.0);
    case Metric::l2:
      return static_cast<float>(-d2);
    case Metric::inner_product:
      break;
  }
  throw InputError("similarity_at_distance: inner_product has no per-edge similarity threshold");
}

double DensityModel::anomaly(double distance) const {
  if (!(distance < kInf) || genuine_log_spread <= 0) return 0;
  double x = std::log(std::max(distance, 1e-30));
  return std::max(0.0, (genuine_log_mode - x) / genuine_log_spread);
}

DensityModel fit_density_model(const KnnGraph& graph, const std::vector<float>& distances,
                               Metric metric, const SweepConfig& config) {
  DensityModel model;
  const int k = graph.k;
  model.min_pts = std::min(config.clusters.min_pts, k);
  const int m = model.min_pts;
  model.core_distance.assign(static_cast<size_t>(graph.rows), kInf);
  std::vector<double> positive;
  positive.reserve(static_cast<size_t>(graph.rows));
  for (int64_t i = 0; i < graph.rows; ++i) {
    float d = distances[static_cast<size_t>(i * k + (m - 1))];
    model.core_distance[static_cast<size_t>(i)] = d;
    if (d < kInf) positive.push_back(d);
  }
  model.rows_with_core_distance = static_cast<int64_t>(positive.size());

  // Log scale: populations differ by factors (a farm is "5x tighter"), not by offsets, which
  // makes the rules below independent of the units and dimension of the data.
  std::sort(positive.begin(), positive.end());
  double median = quantile_sorted(positive, 0.5);
  double floor = median > 0 ? median * 1e-6 : 1e-12;
  std::vector<double> logs(positive.size());
  for (size_t i = 0; i < positive.size(); ++i) logs[i] = std::log(std::max(positive[i], floor));

  if (logs.size() < 3) {
    // Too few accounts to learn a distribution from: nothing is abnormal.
    model.genuine_log_mode = logs.empty() ? 0 : logs[logs.size() / 2];
    model.genuine_log_spread = 1;
    model.eps = 0;
    model.eps_rule = "too_few_rows";
  } else {
    Density density = smoothed_histogram(logs);
    std::vector<Peak> peaks = find_peaks(density, static_cast<double>(logs.size()));
    // Genuine accounts are the loosest large population: real people vary. Take the rightmost
    // peak holding a substantial share of accounts (farms can outnumber genuine accounts).
    size_t genuine = density.smooth.size() / 2;
    bool have_genuine = false;
    for (auto it = peaks.rbegin(); it != peaks.rend(); ++it) {
      if (it->mass >= 0.15) {
        genuine = it->bin;
        have_genuine = true;
        break;
      }
    }
    if (!have_genuine) {
      genuine = static_cast<size_t>(std::max_element(density.smooth.begin(), density.smooth.end()) -
                                    density.smooth.begin());
    }
    double g = density.at(genuine);
    // Spread from the upper side only: the lower side holds the farms we look for.
    std::vector<double> above;
    for (double x : logs) {
      if (x >= g) above.push_back(x - g);
    }
    std::sort(above.begin(), above.end());
    double spread = 1.4826 * quantile_sorted(above, 0.5);
    if (!(spread > 1e-3)) spread = 1e-3;
    model.genuine_log_mode = g;
    model.genuine_log_spread = spread;

    // Tighter populations below the genuine mode, separated from it by a low-density gap: eps
    // goes to the middle of the gap nearest the genuine side among the lowest-density bins
    // between the tightest population and the genuine mode. Near-duplicate groups (core
    // distances at duplicate level) are ignored here: they are found by their own rule.
    const auto& f = density.smooth;
    const double log_duplicate = std::log(config.duplicates.distance_ratio) + g;
    const double cap = g - config.clusters.min_log_gap;
    // Only a population far tighter than genuine accounts opens a gap: a dense genuine
    // community is tighter than most, but not by a factor exp(min_peak_gap).
    long first = -1;  // leftmost substantial peak above duplicate level
    long qualifying = -1;
    for (const Peak& p : peaks) {
      if (p.bin >= genuine || p.mass < 0.002 || density.at(p.bin) <= log_duplicate) continue;
      if (first < 0) first = static_cast<long>(p.bin);
      if (density.at(p.bin) <= g - config.clusters.min_peak_gap)
        qualifying = static_cast<long>(p.bin);
    }
    if (qualifying < 0) first = -1;
    long last = static_cast<long>(std::floor((cap - density.lo) / density.width));
    last = std::min<long>(last, static_cast<long>(genuine));
    if (first >= 0 && last > first) {
      double lowest = f[static_cast<size_t>(first)];
      for (long b = first; b <= last; ++b) lowest = std::min(lowest, f[static_cast<size_t>(b)]);
      // Near-minimal bins count as the gap: the rightmost run of them, and its middle.
      double tolerance = lowest + 0.01 * f[genuine];
      long right = last;
      while (right > first && f[static_cast<size_t>(right)] > tolerance) --right;
      long left = right;
      while (left > first && f[static_cast<size_t>(left - 1)] <= tolerance) --left;
      size_t gap = static_cast<size_t>((left + right) / 2);
      double mass_below = 0;
      for (size_t b = 0; b < gap; ++b) mass_below += density.count[b];
      if (f[gap] <= 0.5 * f[genuine] && mass_below >= 0.002 * logs.size()) {
        model.valley_found = true;
        model.valley_log = density.at(gap);
      }
    }
    if (model.valley_found) {
      model.eps = std::exp(std::min(model.valley_log, cap));
      model.eps_rule = "valley";
    } else {
      double robust = g - std::max(config.clusters.min_log_gap, config.clusters.robust_z * spread);
      model.eps = std::exp(robust);
      model.eps_rule = "robust_z";
    }
  }

  // Fixed thresholds are similarities (cosine or negated squared l2): as distances.
  auto distance_at = [metric](double s) {
    return metric == Metric::cosine ? std::sqrt(std::max(0.0, 2 - 2 * s))
                                    : std::sqrt(std::max(0.0, -s));
  };
  const auto& eps_fixed = config.clusters.eps_similarity;
  if (!eps_fixed.automatic) {
    model.eps = distance_at(eps_fixed.value);
    model.eps_rule = "fixed";
  }
  const auto& dup_fixed = config.duplicates.min_similarity;
  if (!dup_fixed.automatic) {
    model.duplicate_distance = distance_at(dup_fixed.value);
    model.duplicate_rule = "fixed";
  } else {
    model.duplicate_distance = config.duplicates.distance_ratio * std::exp(model.genuine_log_mode);
    model.duplicate_rule = "ratio";
  }
  return model;
}

}  // namespace unfriend
