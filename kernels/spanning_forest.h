// Launchers of one Boruvka round on the GPU (Backend::spanning_forest of the CUDA backend): each
// component's lightest leaving edge in the forest order of host/core/mutual_reachability.h,
// found in two atomicMin passes over graph tiles, then the picked edges.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/graph_tile.h"

namespace unfriend::kernels {

/// The "no edge" value of a component's slot.
constexpr unsigned long long kNoForestEdge = ~0ull;

/// Pass 1 over a tile (tile.values: edge distances): for every entry (i, j) between two
/// components with finite mutual-reachability weight w, lowers best_weight_lo[c] to
/// (bits(w) << 32 | min(i, j)) for the components c of both endpoints. Neighbour indices are
/// trusted (the host checked them).
cudaError_t forest_offer_weight(const GraphTile& tile, const float* core_distance,
                                const int64_t* component, unsigned long long* best_weight_lo,
                                cudaStream_t stream);

/// Pass 2: for the entries whose (weight, lo) equals their component's slot, lowers best_hi[c]
/// to max(i, j): the lightest edge is then (weight, lo, hi) in forest order.
cudaError_t forest_offer_hi(const GraphTile& tile, const float* core_distance,
                            const int64_t* component, const unsigned long long* best_weight_lo,
                            unsigned long long* best_hi, cudaStream_t stream);

/// For every component root c (component[c] == c) with an edge: appends (lo, hi, weight) to the
/// out arrays at atomicAdd(count) and to hook_edges as an int32 pair, except when the component
/// at the other end picked the same edge and is the smaller root (the edge is taken once).
cudaError_t forest_pick(const int64_t* component, int64_t rows,
                        const unsigned long long* best_weight_lo, const unsigned long long* best_hi,
                        int64_t* out_lo, int64_t* out_hi, float* out_weight, int32_t* hook_edges,
                        unsigned long long* count, cudaStream_t stream);

}  // namespace unfriend::kernels
