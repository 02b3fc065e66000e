// The kNN graph on the CPU: exact (our tiled self-join, exact_knn.h), IVF (ivf_knn.h) or HNSW
// (FAISS's, hnsw_knn.h), one entry point.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/backend.h"
#include "host/core/knn_graph.h"
#include "host/core/knn_settings.h"
#include "host/core/matrix.h"

namespace unfriend {

/// The kNN graph of `data` against itself (see Backend::knn_graph): exact search is our tiled
/// self-join (exact_knn.h), IVF a join of k-means lists scored with the same fused kernel
/// (score_tile.h), HNSW FAISS's. k+1 candidates per row plus
/// a small rescoring margin (capped at the row count), self removed, candidates rescored in
/// double (pair_similarity) and cut to k, canonical row order. Uses the caller's OpenMP/BLAS
/// thread settings. Exact and IVF results do not depend on query_block_rows or the thread
/// count; HNSW results do not depend on query_block_rows, but HNSW inserts rows in parallel, so
/// with more than one thread its graph (not its recall) can vary from run to run.
///
/// Checkpoint units (see KnnCheckpoint): exact and HNSW, blocks of query_block_rows query rows;
/// IVF, groups of consecutive lists holding at least query_block_rows rows, after a k-means
/// partition and nprobe tuning that are recomputed (deterministically, from the seed) on every
/// run. HNSW rebuilds its index on a resume (unless every unit is saved): single-threaded that
/// rebuild is the same index, with more threads it may differ, so a resumed HNSW graph equals
/// an uninterrupted one only for --threads 1.
/// Throws InputError for bad parameters or non-finite data, RuntimeFailure when FAISS fails or
/// a unit cannot be saved, StopRequested when the checkpoint asks to stop.
KnnGraph cpu_knn_graph(MatrixView data, const KnnParams& params, KnnReport* report,
                       KnnCheckpoint* checkpoint = nullptr);

/// Backend::knn_of_rows on the CPU: exact_knn_of_rows (reference_knn.h) or ivf_knn_of_rows
/// (ivf_knn.h) by params.mode; InputError for another mode.
KnnGraph cpu_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows,
                         const RowsKnnParams& params);

}  // namespace unfriend
