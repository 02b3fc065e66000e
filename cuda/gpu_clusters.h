// kNN-DBSCAN labelling and group statistics on the GPU (Backend::density_labels and
// Backend::group_statistics of the CUDA backend): the graph streamed through the device in
// tiles of rows (one tile when it fits), union-find for the clusters, Thrust for the CSR of
// groups, per-group reductions and the sorts behind the medians.
#pragma once

#include <cstdint>
#include <vector>

#include "cuda/cuda_tuning.h"
#include "cuda/gpu_resources.h"
#include "host/core/backend.h"

namespace unfriend::gpu {

/// Graph rows per tile for a pass that holds `fixed_bytes` besides the tile (neighbours and
/// one float per edge): the whole graph when it fits, else the largest power-of-two share
/// that does. CudaTuning::edge_tile_rows caps it (tests force many tiles). RuntimeFailure when
/// not even one row fits. Pure arithmetic, tested without a GPU.
int64_t plan_graph_tile_rows(int64_t rows, int k, int64_t fixed_bytes, int64_t budget_bytes,
                             const CudaTuning& tuning, const char* what);

/// Same contract, results and InputError messages as cpu_density_labels.
DensityLabels gpu_density_labels(GpuResources& resources, const KnnGraph& graph,
                                 const std::vector<float>& distances,
                                 const std::vector<float>& core_distance, double eps,
                                 const CudaTuning& tuning);

/// Same contract and InputError messages as cpu_group_statistics; equal results except that
/// inside_similarity_sum is summed in another order (row partials, then a reduction), so it may
/// differ in the last bits of a double.
GroupTable gpu_group_statistics(GpuResources& resources, const KnnGraph& graph,
                                const std::vector<int64_t>& label, const GroupStatsOptions& options,
                                const CudaTuning& tuning);

}  // namespace unfriend::gpu
