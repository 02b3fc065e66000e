// The minimum spanning forest of the mutual-reachability kNN graph on the CPU (Boruvka): the
// reference behind Backend::spanning_forest and the oracle the CUDA backend is tested against.
#pragma once

#include <vector>

#include "host/core/backend.h"

namespace unfriend {

SpanningForest cpu_spanning_forest(const KnnGraph& graph, const std::vector<float>& distances,
                                   const std::vector<float>& core_distance);

}  // namespace unfriend
