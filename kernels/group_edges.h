// Launchers of the per-row edge pass of group statistics: for every row in a group, its kNN
// edges inside the group (count, similarity sum and minimum) and the neighbours outside it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/graph_tile.h"

namespace unfriend::kernels {

struct GroupEdgeArgs {
  GraphTile tile;  // values: similarities
  /// Per graph row (whole graph): its group, or -1.
  const int64_t* label = nullptr;
  /// Outputs per graph row (whole-graph arrays, row i at index i), written for the tile's rows:
  /// edges to a member of the same group (count, sum in double summed in slot order, minimum;
  /// 0, 0, +inf for rows outside any group) and, when outside_count is set, how many listed
  /// neighbours are in another group or none.
  int64_t* inside_count = nullptr;
  double* inside_sum = nullptr;
  float* inside_min = nullptr;
  int64_t* outside_count = nullptr;
  /// Smallest graph cell (row * k + slot, whole-graph numbering) of a member row whose
  /// neighbour index is >= tile.total_rows (the caller sets ~0ull first).
  unsigned long long* first_invalid = nullptr;
};

cudaError_t group_row_edges(const GroupEdgeArgs& args, cudaStream_t stream);

/// For every row of the tile in a group, writes key (label << 32 | neighbour) for each listed
/// neighbour outside its group at keys[row_offset[i] ...], in slot order. row_offset is the
/// exclusive scan of group_row_edges' outside_count over the whole graph. Labels and rows must
/// be below 2^31 (the CUDA backend's row limit).
cudaError_t group_halo_keys(const GraphTile& tile, const int64_t* label, const int64_t* row_offset,
                            uint64_t* keys, cudaStream_t stream);

}  // namespace unfriend::kernels
