// Connected components of the thresholded kNN graph on the GPU: threshold-edge extraction per
// tile of graph rows (with overflow detection and retry) feeding an ECL-CC style union-find.
#pragma once

#include <cstdint>
#include <vector>

#include "cuda/cuda_tuning.h"
#include "cuda/gpu_resources.h"
#include "host/core/knn_graph.h"

namespace unfriend::gpu {

/// How the graph is cut into tiles for the edge pass. Pure arithmetic, tested without a GPU.
struct EdgeTilePlan {
  int64_t tile_rows = 0;         // graph rows uploaded and scanned per tile
  int64_t initial_capacity = 0;  // edges the buffer starts with (grown on overflow)
  int64_t max_capacity = 0;      // tile_rows * k: every edge of a tile qualifies
  int64_t device_bytes = 0;      // stack bytes to reserve (room for max_capacity included)
};

/// Throws RuntimeFailure when not even one row per tile fits the budget.
EdgeTilePlan plan_edge_tiles(int64_t rows, int k, bool has_include, int64_t budget_bytes,
                             const CudaTuning& tuning);

struct ComponentsStats {
  EdgeTilePlan plan;
  int64_t tiles = 0;
  int64_t retries = 0;  // tiles run again after their edge buffer overflowed
  int64_t edges = 0;    // qualifying edges, over all tiles
};

/// Backend::threshold_components on the GPU: same contract and same InputError messages as the
/// CPU reference (cpu_threshold_components): labels are the smallest row of each component, -1
/// for excluded rows.
std::vector<int64_t> gpu_threshold_components(GpuResources& resources, const KnnGraph& graph,
                                              float min_similarity,
                                              const std::vector<uint8_t>& include,
                                              const CudaTuning& tuning,
                                              ComponentsStats* stats = nullptr);

}  // namespace unfriend::gpu
