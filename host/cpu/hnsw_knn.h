// The HNSW graph on the CPU: FAISS's IndexHNSWFlat, rows added in fixed calls, searched in
// checkpointed query blocks.
#pragma once

#include "host/core/backend.h"
#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

/// Fills `graph` (rows x params.k, preset to -1 / -inf) with each row's HNSW neighbours, k_search
/// candidates per row assembled like every other search (knn_rows.h). InputError for bad HNSW
/// parameters.
void hnsw_graph(MatrixView data, const KnnParams& params, int k_search, KnnGraph& graph,
                KnnCheckpoint* checkpoint);

}  // namespace unfriend
