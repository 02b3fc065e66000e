// Which clusters of the density hierarchy are coordinated networks. Every cluster of the
// condensed tree is judged as it shrinks: at its birth and after each group of accounts that
// leaves it, the accounts that remain are tested (the coordination test: alike in many
// respects at once, see alikeness.h). A cluster's candidate is its largest remaining set that
// passes; among candidates, excess of mass (HDBSCAN*'s stability) picks a set that does not
// overlap. A genuine population that contains a farm fails the test, so the farm inside it is
// still found, at its own density.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/matrix.h"
#include "host/pipeline/alikeness.h"
#include "host/pipeline/hierarchy.h"

namespace unfriend {

struct CoordinationTest {
  double min_breadth = 0.5;  // share of features in which the group must be abnormally alike
  int64_t min_size = 9;
};

/// What was measured for each cluster of the condensed tree (the evidence of every candidate,
/// kept or not).
struct TreeClusterEvidence {
  int64_t size_at_birth = 0;
  double breadth_at_birth = 0;
  bool passes = false;       // some remaining set of it passed the test
  int64_t passing_size = 0;  // the largest remaining set that passed
  double passing_breadth = 0;
  double passing_level = 0;  // the density level from which that set remains
  double stability = 0;      // excess of mass of that set
  bool selected = false;
};

struct SelectedCluster {
  int64_t tree_cluster = 0;
  int64_t size = 0;
  double breadth = 0;
  double level = 0;  // density level of the set (remaining from here)
  double birth_level = 0;
  double death_level = 0;
  double stability = 0;
  std::vector<int32_t> alike_features;
};

struct ClusterSelection {
  std::vector<int64_t> label;                 // per row: index into clusters, or -1
  std::vector<SelectedCluster> clusters;      // in tree order
  std::vector<TreeClusterEvidence> evidence;  // per tree cluster
};

ClusterSelection select_clusters(const CondensedTree& tree, MatrixView features,
                                 const AlikenessModel& null_model, const CoordinationTest& test);

}  // namespace unfriend
