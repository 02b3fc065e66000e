// How alike a group of accounts is, feature by feature, against what the data itself says is
// ordinary: the null model is made of neighbourhoods grown around randomly drawn accounts (most
// of them genuine), of the same sizes as the groups judged. A genuine community is alike in one
// respect (a shared interest); a coordinated network is alike in many at once. Breadth is the
// share of features in which a group is more alike than ordinary neighbourhoods of its size
// ever are, so no threshold is tied to one data set's units, dimension or density.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

/// Running per-feature sums of a group of rows.
struct FeatureMoments {
  int64_t count = 0;
  std::vector<double> sum, sum_squares;

  explicit FeatureMoments(int64_t cols = 0)
      : sum(static_cast<size_t>(cols), 0.0), sum_squares(static_cast<size_t>(cols), 0.0) {}
  void add(const float* row);
  void remove(const float* row);
  void add(const FeatureMoments& other);
  /// Population variance of feature f (0 for fewer than two rows; never negative).
  double variance(size_t f) const;
};

struct AlikenessOptions {
  int64_t samples = 200;    // neighbourhoods drawn per size
  int64_t min_size = 16;    // the smallest neighbourhood size (then doubling)
  int64_t max_size = 4096;  // the largest
  double share = 0.8;       // "many respects": the share of features that must be alike
  double alike_z = 3.0;     // robust deviations beyond ordinary neighbourhoods
  /// With core distances: grow each neighbourhood from the density peak above its seed, densest
  /// accounts first (a level set, as the hierarchy's candidates are); else by distance to it.
  bool grow_by_density = true;
  /// The climb to a density peak stops before accounts whose core distance is below this (the
  /// density model's floor of the genuine population); 0: no floor.
  double climb_floor = 0;
  double max_spread_ratio = 0.5;  // alike is never looser than this share of the population's sd
  uint64_t seed = 42;
};

/// The null model. A group's coordination statistic is the `share`-quantile over the
/// informative features of log(sd in the group / sd in the population): the level of alikeness
/// that `share` of its features reach. Ordinary neighbourhoods of each size give its median and
/// robust deviation; a group is abnormally alike in a feature when its log sd ratio there is at
/// or below median - alike_z x deviation for its size.
struct AlikenessModel {
  int64_t cols = 0;
  std::vector<double> population_variance;  // per feature
  std::vector<int64_t> sizes;               // neighbourhood sizes, increasing
  std::vector<double> statistic_median;     // per size
  std::vector<double> statistic_spread;     // per size
  double share = 0.8;
  double alike_z = 3.0;
  /// And never looser than this share of the population's spread.
  double max_spread_ratio = 0.5;
  int64_t informative_features = 0;  // features that vary in the population
  int64_t samples = 0;
  /// Per size: median and robust deviation of log(tightness) of the neighbourhoods, where
  /// tightness is the median core distance of the accounts just outside over that of the
  /// members (empty without core distances).
  std::vector<double> tightness_median, tightness_spread;

  /// The log sd ratio at or below which a group of `count` rows is abnormally alike in a
  /// feature (-inf without a null: nothing is).
  double threshold(int64_t count) const;
  /// Share of informative features in which the group is abnormally alike; the group is a
  /// coordinated network when it is at least `share`.
  double breadth(const FeatureMoments& group, std::vector<int32_t>* alike_features = nullptr) const;
  /// The tightness a group of `count` rows must exceed to be far tighter than its
  /// surroundings, compared with ordinary neighbourhoods (1 without a null).
  double min_tightness(int64_t count) const;
};

/// Builds the null from `features` (the rows the kNN graph was built on). Neighbourhoods grow
/// best-first over the graph by true distance to their seed row (an approximation of the
/// seed's nearest rows). Deterministic for a seed at any thread count.
/// Seeds are drawn among `seed_rows` (empty: all rows): the sweep passes the accounts at least
/// as loose as the genuine population, so that a majority of tight networks cannot make
/// themselves the norm.
AlikenessModel fit_alikeness(MatrixView features, const KnnGraph& graph,
                             const AlikenessOptions& options,
                             const std::vector<int64_t>& seed_rows = {},
                             const std::vector<float>& core_distance = {});

}  // namespace unfriend
