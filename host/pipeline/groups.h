// From the kNN graph to the two products of a sweep: near-duplicate groups (union-find over
// near-identical pairs) and click-farm clusters (kNN-DBSCAN, then each cluster scored against
// the accounts around it and kept only when it is abnormally tight for its neighbourhood).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/core/backend.h"
#include "host/core/config.h"
#include "host/core/knn_graph.h"
#include "host/pipeline/density.h"

namespace unfriend {

struct DupGroup {
  int64_t id = 0;
  int64_t size = 0;
  int64_t representative = 0;  // smallest member row
  double mean_similarity = 0;  // over kNN edges inside the group
  double min_similarity = 0;
};

struct DupGroups {
  std::vector<int64_t> label;  // per row: group id or -1
  std::vector<DupGroup> groups;  // ordered by size desc, then representative
};

DupGroups find_duplicate_groups(Backend& backend, const KnnGraph& graph,
                                const std::vector<float>& distances, Metric metric,
                                const DensityModel& model);

struct Cluster {
  int64_t id = 0;
  int64_t size = 0;
  int64_t core_size = 0;
  std::string kind;              // "click_farm" or "template_farm" (mostly near-duplicates)
  double mean_similarity = 0;    // over kNN edges inside the cluster
  double internal_distance = 0;  // median core distance of members
  double surround_distance = 0;  // median core distance of the accounts around the cluster
  double tightness = 0;          // surround / internal
  double score = 0;              // robust deviations tighter than the genuine population
  int64_t representative = 0;    // smallest member row
};

struct Clusters {
  std::vector<int64_t> label;    // per row: cluster id or -1
  std::vector<Cluster> clusters;  // ordered by score desc, then size desc, then representative
  int64_t candidates = 0;        // density clusters before the tightness test
  int64_t rejected_loose = 0;    // of those, not tighter than their surroundings
  int64_t rejected_small = 0;    // of those, smaller than min_size
};

Clusters find_clusters(Backend& backend, const KnnGraph& graph,
                       const std::vector<float>& distances, Metric metric,
                       const DensityModel& model, const SweepConfig& config);

}  // namespace unfriend
