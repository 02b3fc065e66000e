// Distances along kNN edges and the density model derived from them: how tight the genuine
// population is, and from that the eps of density clustering and the near-duplicate distance.
// Every threshold here comes from the data; the knobs are dimensionless ratios.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/core/config.h"
#include "host/core/knn_graph.h"

namespace unfriend {

/// Euclidean distance along every kNN edge in the preprocessed space, whatever the metric
/// (cosine: sqrt(2 - 2s) on unit vectors; inner_product: from the two squared norms; l2:
/// sqrt(-s)). Same shape as the graph; +inf for padding.
std::vector<float> edge_distances(const KnnGraph& graph, Metric metric,
                                  const std::vector<float>& squared_norms);

/// The similarity (in the metric's own units) that corresponds to distance `d`, for
/// thresholding the graph directly. Only for cosine and l2, where it is monotone per edge.
float similarity_at_distance(Metric metric, double distance);

struct DensityModel {
  int min_pts = 0;
  std::vector<float> core_distance;  // per row: distance to its min_pts-th neighbour (+inf: none)
  double genuine_log_mode = 0;       // log core distance of the loosest large population
  double genuine_log_spread = 0;     // robust deviation of log core distance above that mode
  double valley_log = 0;             // the density valley below the mode, when one was found
  bool valley_found = false;
  double eps = 0;                 // core accounts have core_distance <= eps
  std::string eps_rule;           // "valley", "robust_z" or "fixed"
  double duplicate_distance = 0;  // pairs at or below are near-duplicates
  std::string duplicate_rule;     // "ratio" or "fixed"
  int64_t rows_with_core_distance = 0;

  /// How many robust deviations tighter than the genuine mode a core distance is (>= 0).
  double anomaly(double distance) const;
};

/// Builds the model from the kNN edge distances (see SweepConfig::clusters and ::duplicates).
DensityModel fit_density_model(const KnnGraph& graph, const std::vector<float>& distances,
                               Metric metric, const SweepConfig& config);

}  // namespace unfriend
