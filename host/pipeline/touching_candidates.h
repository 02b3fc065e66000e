// Density clusters that touch: pieces of one network that the eps level cut apart.
//
// A network that works in shifts, or a campaign whose accounts drift over time, is found at the
// eps level as several density clusters lying against each other. Judged one by one, each piece
// is surrounded by the others, as dense as itself, and fails the tightness test although the
// whole is far tighter than the accounts around it. So before the tests, a density cluster whose
// surroundings (the accounts outside it that its members list as neighbours) lie mostly in one
// other density cluster is joined to it, and the joined set is what the tests judge.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/knn_graph.h"

namespace unfriend {

struct TouchingCandidates {
  /// Per row: the label of its joined set (the smallest density label in it), -1 for noise.
  std::vector<int64_t> label;
  /// Per row label value: how many density clusters the set of that label joined (0 where the
  /// value labels no set).
  std::vector<int64_t> parts;
  int64_t joins = 0;  // density clusters joined to another
};

/// Joins each density cluster (per-row `density_label`, -1 noise, labels in [0, rows)) to the one
/// holding more than `min_share` of its distinct outside neighbours, transitively. Deterministic:
/// ties between two holders go to the smaller label. O(rows * k) time, O(rows) memory.
TouchingCandidates join_touching_candidates(const KnnGraph& graph,
                                            const std::vector<int64_t>& density_label,
                                            double min_share = 0.5);

}  // namespace unfriend
