// From the kNN graph to the two products of a sweep: near-duplicate groups (union-find over
// near-identical pairs) and click-farm clusters (kNN-DBSCAN, then each cluster scored against
// the accounts around it and kept only when it is abnormally tight for its neighbourhood).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "host/core/backend.h"
#include "host/core/config.h"
#include "host/core/knn_graph.h"
#include "host/core/matrix.h"
#include "host/pipeline/cohesion.h"
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
  std::vector<int64_t> label;    // per row: group id or -1
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
  // The hierarchy's evidence (method "hierarchy"; zero for "eps").
  double similarity_spread = 0;  // standard deviation of the kNN similarities inside
  double breadth = 0;            // share of features in which the members are abnormally alike
  double stability = 0;          // excess of mass in the density hierarchy
  double birth_distance = 0;     // distance level at which the cluster separates from the rest
  double density_distance = 0;   // distance level from which the flagged set stays together
  std::vector<int32_t> alike_features;  // the features in which it is abnormally alike
  double null_tightness = 0;  // tightness ordinary neighbourhoods of its size reach (z above)
  std::string decided_by;     // the properties that decided
  int64_t candidate = -1;     // its index in Clusters::candidate_table (method "eps")
  // The split-respect test (host/pipeline/cohesion.h): in each half of the features, the share
  // of its members' nearest accounts that are members; NaN when the test was not made.
  std::array<double, 2> cohesion_halves{{0.0, 0.0}};
  double cohesion = 0;  // the smaller of the two
};

/// A density cluster before the tests (method "eps"), recorded so that an unflagged account can
/// be told which test its group failed.
struct Candidate {
  int64_t size = 0;
  int64_t core_size = 0;
  double internal_distance = 0, surround_distance = 0, tightness = 0;  // NaN: too small to test
  double cohesion = 0;                                                 // NaN: not tested
  std::string outcome;   // "cluster", "too_small", "not_tighter", "not_cohesive"
  int64_t cluster = -1;  // the cluster's index in Clusters::clusters when kept
  int64_t parts = 1;     // density clusters joined into it (touching_candidates.h)
};

struct Clusters {
  std::vector<int64_t> label;         // per row: cluster id or -1
  std::vector<Cluster> clusters;      // ordered by score desc, then size desc, then representative
  int64_t candidates = 0;             // density clusters before the tightness test
  int64_t rejected_loose = 0;         // of those, not tighter than their surroundings
  int64_t rejected_small = 0;         // of those, smaller than min_size
  int64_t joined_candidates = 0;      // density clusters joined to one they touch, before the tests
  int64_t rejected_not_cohesive = 0;  // passed the other tests, not a network in both halves
  FeatureHalves halves;               // the split the cohesion test used (empty: not made)
  /// Method "eps": per row its density cluster (index into candidate_table, -1 noise) and
  /// whether it is a core account; the candidates and what became of them.
  std::vector<int64_t> candidate_label;
  std::vector<uint8_t> core;
  std::vector<Candidate> candidate_table;
  // Method "hierarchy": the clusters of the condensed tree and the null model's size.
  int64_t tree_clusters = 0;
  int64_t tree_clusters_passing = 0;  // with a remaining set that passes the coordination test
  int64_t null_samples = 0;
  std::vector<int64_t> null_sizes;
  int64_t informative_features = 0;
  /// The condensed tree itself (method "hierarchy"), recorded as evidence: per row the tree
  /// cluster it leaves last and the distance at which it leaves; per tree cluster its parent,
  /// the distances of its birth and death, and whether it passed and was selected.
  std::vector<int64_t> point_tree_cluster;
  std::vector<float> point_distance;
  std::vector<int64_t> tree_parent;
  std::vector<float> tree_birth_distance, tree_death_distance, tree_breadth_at_birth;
  std::vector<int64_t> tree_size;
  std::vector<uint8_t> tree_passes, tree_selected;
  /// The null model of alikeness: per size, the median and robust deviation of the
  /// coordination statistic of ordinary neighbourhoods (see alikeness.h).
  std::vector<double> null_median, null_spread;
  double alike_z = 0;
};

Clusters find_clusters(Backend& backend, const KnnGraph& graph, const std::vector<float>& distances,
                       Metric metric, const DensityModel& model, const SweepConfig& config);

/// Clusters at their own density: the HDBSCAN*-style hierarchy over the kNN graph
/// (Backend::spanning_forest, condense_forest), each of its clusters judged by the
/// coordination test against a null model of ordinary neighbourhoods drawn from `features`
/// (the preprocessed rows of the graph), then scored against its surroundings.
Clusters find_hierarchy_clusters(Backend& backend, const KnnGraph& graph,
                                 const std::vector<float>& distances, MatrixView features,
                                 const DensityModel& model, const SweepConfig& config);

/// The split-respect test on the clusters found (either method): a cluster is kept when, in
/// both halves of the features, its cohesion is at least config.clusters.min_cohesion (0: the
/// test is off; with fewer than two informative columns it cannot be made and decides nothing).
/// Dropped clusters' rows become -1; the kept keep their order and are renumbered 0, 1, ...
void apply_cohesion_test(Backend& backend, Clusters& clusters, MatrixView features, Metric metric,
                         const std::vector<int32_t>& informative_columns,
                         const SweepConfig& config);

}  // namespace unfriend
