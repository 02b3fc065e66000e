// Exact neighbours of a few query rows against all rows: the tiled search (the reference for
// recall measurements, nprobe tuning and the cohesion test) and FAISS's brute force (the
// independent reference the tiled search is tested against).
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/backend.h"
#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

/// Exact k nearest neighbours (self excluded, canonical order) of the data rows listed in
/// query_rows, against all rows, by the tiled search (tiled_exact_knn_of_rows): row q of the
/// result is data row query_rows[q]. The reference for recall measurements and the nprobe
/// tuning. Queries go in chunks of query_block_rows (0: KnnParams' default), which bounds the
/// memory held.
KnnGraph exact_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k,
                           Metric metric, int64_t query_block_rows = 0);

/// The same by FAISS's brute force (queries in blocks of query_block_rows, 0: KnnParams'
/// default): the independent reference the tiled search is tested against.
KnnGraph faiss_exact_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k,
                                 Metric metric, int64_t query_block_rows = 0);

}  // namespace unfriend
