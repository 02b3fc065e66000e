// Launchers of the GPU union-find (ECL-CC style): init, hook edges, then flatten to labels.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/graph_tile.h"

namespace unfriend::kernels {

/// parent[i] = i for i < rows.
cudaError_t union_find_init(int32_t* parent, int64_t rows, cudaStream_t stream);

/// Joins the endpoints of every edge (edges[2e], edges[2e+1]), e < edge_count. Roots are only
/// ever linked from the larger index to the smaller (atomicCAS), so parent[i] <= i always and a
/// component's root is its smallest row. May run any number of times between init and labels.
cudaError_t union_find_hook(const int32_t* edges, int64_t edge_count, int32_t* parent,
                            cudaStream_t stream);

/// Joins the endpoints of every edge of a tile of graph rows (tile.values: distances) whose
/// distance is <= max_distance (NaN never) and whose two endpoints are core (core[i] != 0),
/// straight from the graph: no edge list, so nothing can overflow. Padding is skipped; for a
/// neighbour index >= tile.total_rows, *first_invalid (set to ~0ull by the caller) receives the
/// smallest such graph cell (row * k + slot, whole-graph numbering), and the entry is skipped.
cudaError_t union_find_hook_within(const GraphTile& tile, const uint8_t* core, double max_distance,
                                   int32_t* parent, unsigned long long* first_invalid,
                                   cudaStream_t stream);

/// labels[i] = the smallest row of i's component, or -1 where include is set and include[i]
/// is 0. Flattens parent as it goes (every parent[i] ends at its root).
cudaError_t union_find_labels(int32_t* parent, int64_t rows, const uint8_t* include,
                              int64_t* labels, cudaStream_t stream);

}  // namespace unfriend::kernels
