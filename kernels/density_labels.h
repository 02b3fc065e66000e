// Launchers of kNN-DBSCAN labelling: core marking, and border rows joining the cluster of their
// nearest core neighbour. The clusters of core rows in between come from union_find.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/graph_tile.h"

namespace unfriend::kernels {

/// core[i] = core_distance[i] <= eps (compared in double, NaN never core).
cudaError_t mark_core(const float* core_distance, int64_t rows, double eps, uint8_t* core,
                      cudaStream_t stream);

/// For every non-core row of the tile (tile.values: distances, rows sorted by distance):
/// labels[i] = labels[j] of its first neighbour j that is core, scanning while neighbours are
/// real and within eps; labels[i] is left as it is (-1 from union_find_labels) otherwise. Reads
/// the labels of core rows only and writes those of non-core rows only, so rows may be
/// processed in any order. Neighbour indices must already be checked (union_find_hook_within).
cudaError_t attach_border(const GraphTile& tile, const uint8_t* core, double eps, int64_t* labels,
                          cudaStream_t stream);

}  // namespace unfriend::kernels
