#include "host/pipeline/alikeness.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <random>
#include <utility>

namespace unfriend {

void FeatureMoments::add(const float* row) {
  ++count;
  for (size_t f = 0; f < sum.size(); ++f) {
    const double x = row[f];
    sum[f] += x;
    sum_squares[f] += x * x;
  }
}

void FeatureMoments::remove(const float* row) {
  --count;
  for (size_t f = 0; f < sum.size(); ++f) {
    const double x = row[f];
    sum[f] -= x;
    sum_squares[f] -= x * x;
  }
}

void FeatureMoments::add(const FeatureMoments& other) {
  count += other.count;
  for (size_t f = 0; f < sum.size(); ++f) {
    sum[f] += other.sum[f];
    sum_squares[f] += other.sum_squares[f];
  }
}

double FeatureMoments::variance(size_t f) const {
  if (count < 2) return 0;
  const double mean = sum[f] / count;
  return std::max(0.0, sum_squares[f] / count - mean * mean);
}

namespace {

// log(sd_group / sd_population) of feature f; -inf when the group does not vary in it.
double log_sd_ratio(const FeatureMoments& group, size_t f, double population_variance) {
  const double v = group.variance(f);
  // Variances below the rounding noise of the sums count as zero.
  if (!(v > 1e-12 * population_variance)) return -std::numeric_limits<double>::infinity();
  return 0.5 * std::log(v / population_variance);
}

double median_in_place(std::vector<double>& v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) m = 0.5 * (m + *std::max_element(v.begin(), v.begin() + mid));
  return m;
}

// Median and robust deviation (1.4826 x the median absolute deviation) of `values` (reordered);
// `empty` as the median, and deviation 0, when there are none.
std::pair<double, double> median_and_spread(std::vector<double>& values, double empty) {
  if (values.empty()) return {empty, 0.0};
  const double m = median_in_place(values);
  for (double& v : values) v = std::abs(v - m);
  return {m, 1.4826 * median_in_place(values)};
}

double squared_distance(const float* a, const float* b, int64_t cols) {
  double s = 0;
  for (int64_t f = 0; f < cols; ++f) {
    const double d = static_cast<double>(a[f]) - b[f];
    s += d * d;
  }
  return s;
}

}  // namespace

// The largest null size not above the group's: a larger group that is as alike is rarer still.
static size_t size_bucket(const std::vector<int64_t>& sizes, int64_t count) {
  size_t b = 0;
  while (b + 1 < sizes.size() && sizes[b + 1] <= count) ++b;
  return b;
}

// The q-quantile (lower) of `values`; reorders them.
static double quantile_in_place(std::vector<double>& values, double q) {
  const size_t at = static_cast<size_t>(std::floor(q * static_cast<double>(values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + at, values.end());
  return values[at];
}

double AlikenessModel::threshold(int64_t count) const {
  if (sizes.empty()) return -std::numeric_limits<double>::infinity();
  const size_t b = size_bucket(sizes, count);
  return std::min(std::log(max_spread_ratio), statistic_median[b] - alike_z * statistic_spread[b]);
}

double AlikenessModel::min_tightness(int64_t count) const {
  if (tightness_median.empty()) return 1;
  const size_t b = size_bucket(sizes, count);
  return std::exp(tightness_median[b] + alike_z * tightness_spread[b]);
}

double AlikenessModel::breadth(const FeatureMoments& group,
                               std::vector<int32_t>* alike_features) const {
  if (informative_features == 0 || sizes.empty()) return 0;
  int64_t alike = 0;
  if (alike_features) alike_features->clear();
  const double level = threshold(group.count);
  for (size_t f = 0; f < static_cast<size_t>(cols); ++f) {
    if (!(population_variance[f] > 0)) continue;
    if (log_sd_ratio(group, f, population_variance[f]) <= level) {
      ++alike;
      if (alike_features) alike_features->push_back(static_cast<int32_t>(f));
    }
  }
  return static_cast<double>(alike) / static_cast<double>(informative_features);
}

AlikenessModel fit_alikeness(MatrixView features, const KnnGraph& graph,
                             const AlikenessOptions& options, const std::vector<int64_t>& seed_rows,
                             const std::vector<float>& core_distance) {
  AlikenessModel model;
  const int64_t n = features.rows, cols = features.cols;
  model.cols = cols;
  model.alike_z = options.alike_z;
  model.share = options.share;
  model.max_spread_ratio = options.max_spread_ratio;
  FeatureMoments all(cols);
  for (int64_t i = 0; i < n; ++i) all.add(features.row(i));
  model.population_variance.resize(static_cast<size_t>(cols));
  for (size_t f = 0; f < static_cast<size_t>(cols); ++f) {
    model.population_variance[f] = all.variance(f);
    model.informative_features += model.population_variance[f] > 0;
  }
  // Neighbourhood sizes: doubling from min_size while a neighbourhood is a small part of the data.
  for (int64_t s = options.min_size; s <= options.max_size && 4 * s <= n; s *= 2) {
    model.sizes.push_back(s);
  }
  if (model.sizes.empty() || model.informative_features == 0) return model;
  const bool with_tightness = core_distance.size() == static_cast<size_t>(n);
  const bool by_density = with_tightness && options.grow_by_density;
  const int k = graph.k;
  // The density peak an account leads up to: repeatedly its densest neighbour, while denser.
  auto peak_of = [&](int64_t row) {
    for (int step = 0; step < 100000; ++step) {
      int64_t next = row;
      const int64_t* nb = graph.neighbors_of(row);
      for (int j = 0; j < k; ++j) {
        const int64_t o = nb[j];
        if (o < 0) continue;
        const float co = core_distance[static_cast<size_t>(o)],
                    cn = core_distance[static_cast<size_t>(next)];
        // Never up into a region denser than the genuine population reaches: the null is of
        // genuine structure, not of the networks a genuine account happens to border.
        if (co < options.climb_floor) continue;
        if (co < cn || (co == cn && o < next)) next = o;
      }
      if (next == row) break;
      row = next;
    }
    return row;
  };
  // Seeds drawn from the pool; grown by density, each distinct peak once (many accounts lead
  // to the same peak, and a null of copies would have no spread).
  std::vector<int64_t> seeds;
  {
    std::mt19937_64 rng(options.seed);
    const int64_t pool = seed_rows.empty() ? n : static_cast<int64_t>(seed_rows.size());
    std::uniform_int_distribution<int64_t> pick(0, pool - 1);
    std::vector<uint8_t> taken(by_density ? static_cast<size_t>(n) : 0, 0);
    const int64_t wanted = std::min(options.samples, n);
    for (int64_t draw = 0; draw < 20 * wanted && static_cast<int64_t>(seeds.size()) < wanted;
         ++draw) {
      const int64_t p = pick(rng);
      int64_t seed = seed_rows.empty() ? p : seed_rows[static_cast<size_t>(p)];
      if (by_density) {
        seed = peak_of(seed);
        if (taken[static_cast<size_t>(seed)]) continue;
        taken[static_cast<size_t>(seed)] = 1;
      }
      seeds.push_back(seed);
    }
  }
  const int64_t samples = static_cast<int64_t>(seeds.size());
  model.samples = samples;
  const size_t nsizes = model.sizes.size();
  // ratio[(sample * nsizes + size) * cols + f]; NaN when the neighbourhood could not grow.
  std::vector<double> ratio(static_cast<size_t>(samples) * nsizes * static_cast<size_t>(cols),
                            std::numeric_limits<double>::quiet_NaN());
  std::vector<double> log_tightness(static_cast<size_t>(samples) * nsizes,
                                    std::numeric_limits<double>::quiet_NaN());
#pragma omp parallel
  {
    std::vector<uint8_t> visited(static_cast<size_t>(n), 0);  // 1 frontier, 2 member
    std::vector<int64_t> touched;
    std::vector<double> inside, outside;
#pragma omp for schedule(dynamic, 1)
    for (int64_t s = 0; s < samples; ++s) {
      // Grown the way the hierarchy's candidates are, from a density peak with the densest
      // connected accounts first (a level set), so that candidates are compared with sets
      // picked for density as they were.
      const int64_t seed = seeds[static_cast<size_t>(s)];
      const float* centre = features.row(seed);
      using Entry = std::pair<double, int64_t>;  // (squared distance to the seed, row)
      std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> frontier;
      frontier.push({0.0, seed});
      visited[static_cast<size_t>(seed)] = 1;
      touched.assign(1, seed);
      FeatureMoments group(cols);
      size_t next_size = 0;
      while (!frontier.empty() && next_size < nsizes) {
        const int64_t row = frontier.top().second;
        frontier.pop();
        group.add(features.row(row));
        visited[static_cast<size_t>(row)] = 2;
        if (group.count == model.sizes[next_size]) {
          if (with_tightness) {
            inside.clear();
            outside.clear();
            for (int64_t t : touched) {
              const double d = core_distance[static_cast<size_t>(t)];
              if (!std::isfinite(d)) continue;
              (visited[static_cast<size_t>(t)] == 2 ? inside : outside).push_back(d);
            }
            if (!inside.empty() && !outside.empty()) {
              const double mi = median_in_place(inside), mo = median_in_place(outside);
              if (mi > 0 && mo > 0) {
                log_tightness[static_cast<size_t>(s) * nsizes + next_size] = std::log(mo / mi);
              }
            }
          }
          double* out = &ratio[((static_cast<size_t>(s) * nsizes) + next_size) * cols];
          for (size_t f = 0; f < static_cast<size_t>(cols); ++f) {
            if (model.population_variance[f] > 0) {
              out[f] = log_sd_ratio(group, f, model.population_variance[f]);
            }
          }
          ++next_size;
        }
        const int64_t* nb = graph.neighbors_of(row);
        for (int j = 0; j < k; ++j) {
          const int64_t other = nb[j];
          if (other < 0 || visited[static_cast<size_t>(other)]) continue;
          if (by_density && core_distance[static_cast<size_t>(other)] < options.climb_floor)
            continue;
          visited[static_cast<size_t>(other)] = 1;
          touched.push_back(other);
          frontier.push({by_density ? static_cast<double>(core_distance[static_cast<size_t>(other)])
                                    : squared_distance(centre, features.row(other), cols),
                         other});
        }
      }
      for (int64_t t : touched) visited[static_cast<size_t>(t)] = 0;
    }
  }
  if (with_tightness) {
    std::vector<double> values;
    for (size_t b = 0; b < nsizes; ++b) {
      values.clear();
      for (int64_t s = 0; s < samples; ++s) {
        const double v = log_tightness[static_cast<size_t>(s) * nsizes + b];
        if (!std::isnan(v)) values.push_back(v);
      }
      const auto [m, spread] = median_and_spread(values, 0.0);
      model.tightness_median.push_back(m);
      model.tightness_spread.push_back(spread);
    }
  }
  // Per neighbourhood: its coordination statistic; per size: median and robust deviation.
  std::vector<double> values, statistic;
  for (size_t b = 0; b < nsizes; ++b) {
    statistic.clear();
    for (int64_t s = 0; s < samples; ++s) {
      values.clear();
      const double* r = &ratio[((static_cast<size_t>(s) * nsizes) + b) * cols];
      bool grown = true;
      for (size_t f = 0; f < static_cast<size_t>(cols); ++f) {
        if (!(model.population_variance[f] > 0)) continue;
        if (std::isnan(r[f])) {
          grown = false;
          break;
        }
        values.push_back(std::max(r[f], -50.0));  // -inf: no variation
      }
      if (grown && !values.empty()) statistic.push_back(quantile_in_place(values, model.share));
    }
    const auto [m, spread] = median_and_spread(statistic, -std::numeric_limits<double>::infinity());
    model.statistic_median.push_back(m);
    model.statistic_spread.push_back(spread);
  }
  return model;
}

}  // namespace unfriend
