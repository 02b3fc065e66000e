// Connected components of the thresholded kNN graph on the CPU: the reference implementation
// behind Backend::threshold_components.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/knn_graph.h"

namespace unfriend {

/// Components of the undirected graph made of the kNN edges (i, graph.neighbors_of(i)[j]) with
/// similarity >= min_similarity whose endpoints are both included (include empty: all rows).
/// An edge listed in one direction only still joins its endpoints. Returns one label per row:
/// the smallest row index of its component, or -1 for excluded rows. Padding (-1) is skipped.
/// Throws InputError when include has the wrong size or a neighbour index is out of range.
std::vector<int64_t> cpu_threshold_components(const KnnGraph& graph, float min_similarity,
                                              const std::vector<uint8_t>& include);

}  // namespace unfriend
