// The split-respect test of a candidate cluster. A coordinated network is alike in many respects
// at once, so it stays a network in any half of its features: in each half, a member's nearest
// accounts are still mostly fellow members. A genuine community is alike in one respect (a
// shared interest, a shared hour), and in the half without it its members scatter among everyone
// else; a chance clump of a smooth population scatters in both halves. Measured on the host
// with a search of sampled members against every account in each half (re-normalised for
// cosine; exact search up to CohesionOptions::exact_max_rows rows, IVF above), whatever backend
// built the graph.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "host/core/backend.h"
#include "host/core/config.h"
#include "host/core/matrix.h"

namespace unfriend {

/// The features split in two halves of (nearly) equal size by a seeded shuffle of the
/// informative columns (those listed), each half sorted. With fewer than two informative
/// columns both halves are empty and the test cannot be made.
struct FeatureHalves {
  std::array<std::vector<int32_t>, 2> columns;
  bool usable() const { return !columns[0].empty() && !columns[1].empty(); }
};
FeatureHalves split_feature_halves(const std::vector<int32_t>& informative, uint64_t seed);

struct CohesionOptions {
  int neighbors = 8;             // nearest accounts looked at per member (at most set size - 1)
  int64_t max_queries = 8;       // members sampled per set (evenly spaced by row); all when fewer
  int64_t query_block_rows = 0;  // queries searched at once (0: the kNN default)
  /// Up to this many rows the search is exact; above, an IVF partition of each half (sqrt(N)
  /// lists, a twentieth of them probed) keeps its cost a small share of the sweep's.
  int64_t exact_max_rows = 100000;
  uint64_t seed = 42;
};

/// Per set s in [0, sets) (label[i] == s; -1: no set): in each half, the mean over its sampled
/// members of the share of their nearest accounts (self excluded) that are members. Sets of
/// fewer than two rows get 0. `features` are the prepared rows (standardised; for cosine
/// normalised, which the re-normalisation of each half makes irrelevant).
std::vector<std::array<double, 2>> split_cohesion(Backend& backend, MatrixView features,
                                                  Metric metric, const FeatureHalves& halves,
                                                  const std::vector<int64_t>& label, int64_t sets,
                                                  const CohesionOptions& options);

}  // namespace unfriend
