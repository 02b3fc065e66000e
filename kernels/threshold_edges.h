// Launcher of the threshold-edge extraction: the kNN edges a connected-components pass joins.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/graph_tile.h"

namespace unfriend::kernels {

struct ThresholdEdgesArgs {
  /// A block of graph rows (tile.values: similarities); a neighbour index >= tile.total_rows in
  /// an included row is invalid input (negative indices are padding).
  GraphTile tile;
  /// include[i] != 0: graph row i takes part (whole-graph mask); null: every row.
  const uint8_t* include = nullptr;
  float min_similarity = 0.f;
  /// Output: edge e = (edges[2e], edges[2e+1]) for e < capacity. *edge_count (zeroed by the
  /// caller) receives the number of qualifying edges even when it exceeds capacity, so that the
  /// caller can detect the overflow and run the block again with a bigger buffer.
  int32_t* edges = nullptr;
  int64_t capacity = 0;
  unsigned long long* edge_count = nullptr;
  /// Output: min over invalid entries of (r * k + slot), left untouched when all are valid
  /// (the caller sets it to ~0ull first). Invalid entries never become edges.
  unsigned long long* first_invalid = nullptr;
};

/// Appends every edge (i, j) with similarity >= min_similarity (NaN never qualifies), j not
/// padding, and both endpoints included. Edge order is unspecified.
cudaError_t threshold_edges(const ThresholdEdgesArgs& args, cudaStream_t stream);

}  // namespace unfriend::kernels
