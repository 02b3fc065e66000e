// The scoring half of the fused exact kNN: all pairs of a tile of rows x columns scored and
// offered to the rows' best candidates without the tile's scores ever being written out.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"
#include "host/cpu/top_candidates.h"

namespace unfriend {

/// Rows [row_begin, row_end) against columns [col_begin, col_end): of one matrix, or of the
/// scorer's row matrix and column matrix.
struct ScoreTile {
  int64_t row_begin = 0;
  int64_t row_end = 0;
  int64_t col_begin = 0;
  int64_t col_end = 0;
  /// Also offer every row to the list of each column: a self-join's pair (i, j) serves both
  /// rows, so the tile (I, J) stands for (J, I) too and each pair is scored once.
  bool both_sides = false;
  /// Row r's candidates go to list r - slot_base of the TopCandidates (columns' too, with
  /// both_sides): a search of a slice of rows keeps lists for that slice only.
  int64_t slot_base = 0;
  /// When set, tile row t (row_begin <= t < row_end) is matrix row rows[t - row_begin] and its
  /// candidates go to list slots[t - row_begin]: a tile of scattered rows (one-sided only).
  const int64_t* rows = nullptr;
  const int64_t* slots = nullptr;
};

/// Which code scores a tile. Both give bit-identical scores (one fused multiply-add per
/// dimension, in dimension order), so the graph does not depend on the machine's SIMD.
enum class TileKernel { automatic, portable, avx2 };

/// Whether this CPU runs the AVX2+FMA kernel.
bool cpu_has_avx2_fma();

/// The score a candidate is ranked by, for a query: the dot product for cosine and
/// inner_product (rows are unit length for cosine), and 2 q.c - |c|^2 for l2, which orders
/// candidates as -|q - c|^2 does without the query's own norm. One rounding (fused).
float tile_score(float dot, float candidate_squared_norm, Metric metric);

/// Float similarity of row `query` against every row (pair_similarity's definition: the dot
/// product, or minus the squared distance for l2) into similarity[0, rows), and each row's
/// squared norm into squared_norms[0, rows). A fast filter for a full scan: within
/// float_similarity_slack of the exact value.
void float_similarities_of_row(MatrixView data, int64_t query, Metric metric, float* similarity,
                               float* squared_norms);

/// A bound on |float_similarities_of_row - pair_similarity| for rows of squared norms
/// `query_norm` and `row_norm` in `dims` dimensions.
double float_similarity_slack(double query_norm, double row_norm, int64_t dims, Metric metric);

/// Every row's squared norm as the kernel sums it (one fused multiply-add per dimension, in
/// order): the candidate norms an l2 search's tile_score takes.
std::vector<float> tile_squared_norms(MatrixView rows);

/// Scores tiles for one thread: it keeps the packed copy of the current tile's columns, so each
/// thread has its own. Norms (l2 only, one per row; nullptr otherwise) must outlive it.
class TileScorer {
 public:
  /// A matrix against itself (tiles may be both_sides).
  TileScorer(MatrixView data, Metric metric, const float* squared_norms,
             TileKernel kernel = TileKernel::automatic);
  /// Rows of one matrix against columns of another of the same width (one-sided tiles).
  TileScorer(MatrixView rows, MatrixView columns, Metric metric, const float* row_squared_norms,
             const float* column_squared_norms, TileKernel kernel = TileKernel::automatic);

  /// Offers every pair of the tile to `best` (rows' lists, and columns' with both_sides),
  /// skipping what a row's threshold already rules out. It must have a row per data row;
  /// no other thread may offer to the tile's rows (or columns, with both_sides) meanwhile.
  void score(const ScoreTile& tile, TopCandidates& best);

  /// Column rows a tile should span for the scorer's working set to stay in a core's L2 cache.
  static int64_t preferred_block_rows(int64_t dims);

 private:
  MatrixView rows_;
  MatrixView columns_;
  Metric metric_;
  const float* row_norms_;
  const float* column_norms_;
  bool same_matrix_;
  bool avx2_ = false;
  std::vector<float> panel_;  // the tile's columns, 16 rows interleaved per dimension
};

}  // namespace unfriend
