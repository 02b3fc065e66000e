// The minimum spanning forest of the mutual-reachability kNN graph on the GPU (Backend::
// spanning_forest of the CUDA backend): Boruvka rounds over graph tiles with our union-find.
#pragma once

#include <vector>

#include "cuda/cuda_tuning.h"
#include "cuda/gpu_resources.h"
#include "host/core/backend.h"

namespace unfriend::gpu {

/// Same contract, edges and InputError messages as cpu_spanning_forest.
SpanningForest gpu_spanning_forest(GpuResources& resources, const KnnGraph& graph,
                                   const std::vector<float>& distances,
                                   const std::vector<float>& core_distance,
                                   const CudaTuning& tuning);

}  // namespace unfriend::gpu
