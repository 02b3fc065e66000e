// Exact kNN of a matrix against itself on the CPU: every pair scored once, in cache-sized
// tiles, with the top-k selected while the scores are still in registers.
#pragma once

#include <string>
#include <vector>

#include "host/core/backend.h"
#include "host/core/knn_graph.h"
#include "host/core/matrix.h"
#include "host/cpu/score_tile.h"

namespace unfriend {

/// Fills `graph` (rows x params.k, preallocated) with the exact kNN graph of `data` against
/// itself: the k_search best candidates of every row by tile_score, then self removed, rescored
/// with pair_similarity, ties at the cut completed and cut to k (assemble_knn_rows), so the
/// graph is the canonical one, whatever the thread count, block sizes or kernel.
///
/// The rows are cut into bands of params.query_block_rows rows, one checkpoint unit each, and
/// bands into blocks of TileScorer::preferred_block_rows. A tile of two blocks is scored once
/// and serves both (the kNN graph of a self-join is symmetric); tiles that run at the same time
/// touch disjoint rows, by round-robin schedules, so no locks are needed. A band is finished
/// (assembled, saved) once it has met every other band; bands read back from the checkpoint
/// are met one-sided by the others. `plan` names the units for KnnCheckpoint::begin.
/// Throws InputError above 2^31 - 1 rows (the candidates hold 32-bit rows), StopRequested at a
/// band boundary after the checkpoint asks to stop.
void tiled_exact_knn(MatrixView data, const KnnParams& params, int k_search,
                     const std::string& plan, KnnGraph& graph, KnnCheckpoint* checkpoint,
                     TileKernel kernel = TileKernel::automatic);

/// Fills `graph` (query_rows.size() x k, preallocated) with the exact k nearest neighbours of
/// the data rows listed in query_rows (self excluded), as tiled_exact_knn does for all rows:
/// the queries against every block of rows, the blocks shared among threads (each keeps its own
/// candidates, merged in the canonical order at the end). Queries go in chunks of
/// query_block_rows (0: all at once), which bounds the candidate lists held.
void tiled_exact_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k,
                             int k_search, Metric metric, int64_t query_block_rows, KnnGraph& graph,
                             TileKernel kernel = TileKernel::automatic);

}  // namespace unfriend
