// The kNN graph on the CPU with FAISS: exact (brute force), IVF-Flat and HNSW search.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/backend.h"
#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

/// The mode KnnMode::automatic stands for at `rows` rows: exact up to
/// params.auto_exact_max_rows, IVF above. Other modes are returned unchanged.
KnnMode resolve_knn_mode(int64_t rows, const KnnParams& params);

/// IVF-Flat settings actually used for a search of `rows` rows.
struct IvfSettings {
  int nlist = 1;
  int nprobe = 1;
  int64_t train_rows = 0;
  /// nprobe was not set: the search sets it to the smallest value at which a sample of rows
  /// finds kIvfTargetRecall of its exact neighbours (`nprobe` is then only a placeholder).
  bool tune_nprobe = false;
};

/// Recall a tuned IVF search aims for on its tuning sample: above the 0.95 the sweep promises,
/// with room for the sampling error of a few hundred rows (about +-0.005 at 400 rows x 33).
constexpr double kIvfTargetRecall = 0.96;

/// params' IVF values where set, else the defaults: nlist about 4*sqrt(rows) clamped to
/// [1, rows/39] (FAISS wants at least 39 training points per list); nprobe tuned during the
/// search (tune_nprobe) so that it adapts to how clustered the data is; train_rows
/// min(rows, max(40*nlist, 20000)). Throws InputError for values that cannot work (nlist > rows,
/// train_rows < nlist, negative values).
IvfSettings resolve_ivf_settings(int64_t rows, const KnnParams& params);

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
KnnGraph faiss_knn_graph(MatrixView data, const KnnParams& params, KnnReport* report,
                         KnnCheckpoint* checkpoint = nullptr);

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
