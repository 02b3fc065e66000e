// The rules of the density hierarchy that every backend must follow, in one place: the
// mutual-reachability weight of a kNN edge and the total order of edges that makes the minimum
// spanning forest unique (so that the CPU's and a GPU's forests are the same edges).
#pragma once

#include <cstdint>
#include <limits>

// Callable from device code too: the CUDA backend's forest kernels use these very rules.
#include "host/core/host_device.h"

namespace unfriend {

/// HDBSCAN*'s mutual-reachability distance of an edge: no shorter than either endpoint's core
/// distance, so that a sparse account cannot bridge two dense regions. +inf when either
/// endpoint has no core distance (fewer than min_pts neighbours).
UNFRIEND_HOST_DEVICE inline float mutual_reachability(float edge_distance, float core_from,
                                                      float core_to) {
  float w = edge_distance;
  if (core_from > w) w = core_from;
  if (core_to > w) w = core_to;
  return w;
}

/// The order in which the forest takes edges: by weight, then by the smaller endpoint, then by
/// the larger. Distinct for distinct undirected edges, so the minimum spanning forest is unique.
UNFRIEND_HOST_DEVICE inline bool forest_edge_before(float weight_a, int64_t lo_a, int64_t hi_a,
                                                    float weight_b, int64_t lo_b, int64_t hi_b) {
  if (weight_a != weight_b) return weight_a < weight_b;
  if (lo_a != lo_b) return lo_a < lo_b;
  return hi_a < hi_b;
}

}  // namespace unfriend
