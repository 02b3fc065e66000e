// The density hierarchy of HDBSCAN*: the minimum spanning forest of mutual-reachability
// distances read as a single-linkage tree, condensed to the clusters of at least
// min_cluster_size accounts. Each cluster lives over a range of density levels; accounts leave
// it as the level rises (they are too sparse for it) until it splits in two or vanishes. A
// cluster is found at its own density, however tight or loose it is compared with the others.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/backend.h"

namespace unfriend {

/// Density levels are lambda = -log(distance): scale-free, so "five times tighter" is the same
/// step at every scale, and exact duplicates (distance 0) sit at a finite level.
double density_level(double distance, double floor_distance);

struct CondensedTree {
  int64_t rows = 0;
  int64_t min_cluster_size = 0;
  /// Per cluster (ids in creation order: a parent before its children).
  std::vector<int64_t> parent;      // -1 for a cluster that is a whole forest component
  std::vector<double> birth_level;  // the level at which it appears
  std::vector<double> death_level;  // the level at which it splits into children or vanishes
  std::vector<int64_t> size;        // accounts at birth
  std::vector<std::vector<int64_t>> children;
  /// Per account: the cluster it leaves last (-1: its forest component is smaller than
  /// min_cluster_size, so it is in no cluster) and the level at which it leaves it.
  std::vector<int64_t> point_cluster;
  std::vector<double> point_level;

  int64_t clusters() const { return static_cast<int64_t>(parent.size()); }
};

/// Condenses the forest (edges sorted by weight, as Backend::spanning_forest returns them).
/// floor_distance > 0 is the distance below which levels no longer rise.
CondensedTree condense_forest(const SpanningForest& forest, int64_t rows, int64_t min_cluster_size,
                              double floor_distance);

}  // namespace unfriend
