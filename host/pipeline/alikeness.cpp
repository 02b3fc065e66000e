#include "host/pipeline/alikeness.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <random>

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

double squared_distance(const float* a, const float* b, int64_t cols) {
  double s = 0;
  for (int64_t f = 0; f < cols; ++f) {
    const double d = static_cast<double>(a[f]) - b[f];
    s += d * d;
  }
  return s;
}

}  // namespace

double AlikenessModel::threshold(int64_t count, size_t f) const {
  // The largest null size not above the group's: a larger group that is as alike is rarer still.
  size_t b = 0;
  while (b + 1 < sizes.size() && sizes[b + 1] <= count) ++b;
  return median[b][f] - alike_z * spread[b][f];
}

double AlikenessModel::min_tightness(int64_t count) const {
  if (tightness_median.empty()) return 1;
  size_t b = 0;
  while (b + 1 < sizes.size() && sizes[b + 1] <= count) ++b;
  return std::exp(tightness_median[b] + alike_z * tightness_spread[b]);
}

double AlikenessModel::breadth(const FeatureMoments& group,
                               std::vector<int32_t>* alike_features) const {
  if (informative_features == 0 || sizes.empty()) return 0;
  int64_t alike = 0;
  if (alike_features) alike_features->clear();
  for (size_t f = 0; f < static_cast<size_t>(cols); ++f) {
    if (!(population_variance[f] > 0)) continue;
    if (log_sd_ratio(group, f, population_variance[f]) <= threshold(group.count, f)) {
      ++alike;
      if (alike_features) alike_features->push_back(static_cast<int32_t>(f));
    }
  }
  return static_cast<double>(alike) / static_cast<double>(informative_features);
}

AlikenessModel fit_alikeness(MatrixView features, const KnnGraph& graph,
                             const AlikenessOptions& options,
                             const std::vector<int64_t>& seed_rows,
                             const std::vector<float>& core_distance) {
  AlikenessModel model;
  const int64_t n = features.rows, cols = features.cols;
  model.cols = cols;
  model.alike_z = options.alike_z;
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
  const int64_t samples = std::min(options.samples, n);
  model.samples = samples;
  std::vector<int64_t> seeds(static_cast<size_t>(samples));
  {
    std::mt19937_64 rng(options.seed);
    const int64_t pool = seed_rows.empty() ? n : static_cast<int64_t>(seed_rows.size());
    std::uniform_int_distribution<int64_t> pick(0, pool - 1);
    for (auto& s : seeds) {
      const int64_t p = pick(rng);
      s = seed_rows.empty() ? p : seed_rows[static_cast<size_t>(p)];
    }
  }
  const size_t nsizes = model.sizes.size();
  // ratio[(sample * nsizes + size) * cols + f]; NaN when the neighbourhood could not grow.
  std::vector<double> ratio(static_cast<size_t>(samples) * nsizes * static_cast<size_t>(cols),
                            std::numeric_limits<double>::quiet_NaN());
  const bool with_tightness = core_distance.size() == static_cast<size_t>(n);
  std::vector<double> log_tightness(static_cast<size_t>(samples) * nsizes,
                                    std::numeric_limits<double>::quiet_NaN());
  const int k = graph.k;
#pragma omp parallel
  {
    std::vector<uint8_t> visited(static_cast<size_t>(n), 0);  // 1 frontier, 2 member
    std::vector<int64_t> touched;
    std::vector<double> inside, outside;
#pragma omp for schedule(dynamic, 1)
    for (int64_t s = 0; s < samples; ++s) {
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
          visited[static_cast<size_t>(other)] = 1;
          touched.push_back(other);
          frontier.push({squared_distance(centre, features.row(other), cols), other});
        }
      }
      for (int64_t t : touched) visited[static_cast<size_t>(t)] = 0;
    }
  }
  if (with_tightness) {
    std::vector<double> values, deviations;
    for (size_t b = 0; b < nsizes; ++b) {
      values.clear();
      for (int64_t s = 0; s < samples; ++s) {
        const double v = log_tightness[static_cast<size_t>(s) * nsizes + b];
        if (!std::isnan(v)) values.push_back(v);
      }
      double m = 0, spread = 0;
      if (!values.empty()) {
        m = median_in_place(values);
        deviations.clear();
        for (double v : values) deviations.push_back(std::abs(v - m));
        spread = 1.4826 * median_in_place(deviations);
      }
      model.tightness_median.push_back(m);
      model.tightness_spread.push_back(spread);
    }
  }
  model.median.assign(nsizes, std::vector<double>(static_cast<size_t>(cols), 0.0));
  model.spread.assign(nsizes, std::vector<double>(static_cast<size_t>(cols), 0.0));
  std::vector<double> values, deviations;
  for (size_t b = 0; b < nsizes; ++b) {
    for (size_t f = 0; f < static_cast<size_t>(cols); ++f) {
      values.clear();
      for (int64_t s = 0; s < samples; ++s) {
        const double r = ratio[((static_cast<size_t>(s) * nsizes) + b) * cols + f];
        if (!std::isnan(r)) values.push_back(std::max(r, -50.0));  // -inf: no variation
      }
      if (values.empty()) {
        model.median[b][f] = -std::numeric_limits<double>::infinity();
        continue;
      }
      const double m = median_in_place(values);
      deviations.clear();
      for (double v : values) deviations.push_back(std::abs(v - m));
      model.median[b][f] = m;
      model.spread[b][f] = 1.4826 * median_in_place(deviations);
    }
  }
  return model;
}

}  // namespace unfriend
