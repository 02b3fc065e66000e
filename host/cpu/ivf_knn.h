// IVF on the CPU: a seeded k-means partition of the rows, each row probing its own nearest
// lists, scored with the fused tile kernel (score_tile.h). The graph of all rows (a join of the
// lists, nprobe tuned to a recall target) and the neighbours of a few query rows.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/backend.h"
#include "host/core/knn_graph.h"
#include "host/core/knn_settings.h"
#include "host/core/matrix.h"

namespace unfriend {

/// Fills `graph` (rows x params.k, preset to -1 / -inf) by the IVF join. When ivf.tune_nprobe,
/// ivf.nprobe is set to the smallest value that reaches kIvfTargetRecall on a sample (logged
/// with its curve). Checkpoint units: groups of consecutive lists holding at least
/// query_block_rows rows.
void ivf_join_graph(MatrixView data, const KnnParams& params, IvfSettings& ivf, int k_search,
                    KnnGraph& graph, KnnCheckpoint* checkpoint);

/// Approximate k nearest neighbours of the data rows listed in query_rows (self excluded), for
/// searches of a few rows against many: the rows are partitioned by seeded k-means into `nlist`
/// lists, and each query meets the rows of the `nprobe` lists nearest to it, in tiles of the
/// fused kernel. Similarities are pair_similarity (exact, in double), ties broken by index:
/// deterministic for a seed, whatever the thread count. Queries go in chunks of
/// query_block_rows (0: all at once), which bounds the memory held.
KnnGraph ivf_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k,
                         Metric metric, int nlist, int nprobe, uint64_t seed,
                         int64_t query_block_rows = 0);

}  // namespace unfriend
