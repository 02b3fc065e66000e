#include "host/cpu/score_tile.h"

#include <fmt/format.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "host/core/error.h"

namespace unfriend {

namespace {

// The AVX2 kernel scores a 6 x 16 block of pairs in twelve 8-wide accumulators, the most that
// fit in the 16 vector registers beside the two column loads and the row broadcast.
constexpr int kStripRows = 6;
constexpr int kPanelCols = 16;

bool is_l2(Metric metric) { return metric == Metric::l2; }

// Columns [begin, end) of the data, 16 rows at a time, interleaved by dimension: panel p holds
// for each dimension d the 16 values of its rows at d (zero past the last row), so the kernel
// loads a dimension's 16 column values with two vector loads.
void pack_panels(MatrixView data, int64_t begin, int64_t end, std::vector<float>& panel) {
  const int64_t dims = data.cols;
  const int64_t panels = (end - begin + kPanelCols - 1) / kPanelCols;
  panel.resize(static_cast<size_t>(panels * dims * kPanelCols));
  // Only the last panel can have lanes past the last row; they score 0 and are never offered.
  const int64_t last = (panels - 1) * dims * kPanelCols;
  if (end - begin < panels * kPanelCols) {
    std::fill(panel.begin() + last, panel.end(), 0.0f);
  }
  for (int64_t c = begin; c < end; ++c) {
    const int64_t p = (c - begin) / kPanelCols, lane = (c - begin) % kPanelCols;
    float* out = panel.data() + p * dims * kPanelCols + lane;
    const float* row = data.row(c);
    for (int64_t d = 0; d < dims; ++d) out[d * kPanelCols] = row[d];
  }
}

float dot_in_order(const float* a, const float* b, int64_t dims) {
  float acc = 0.0f;
  for (int64_t d = 0; d < dims; ++d) acc = std::fma(a[d], b[d], acc);
  return acc;
}

// The matrix row and the candidate list of tile row t (row_begin <= t < row_end).
inline int64_t tile_row(const ScoreTile& tile, int64_t t) {
  return tile.rows != nullptr ? tile.rows[t - tile.row_begin] : t;
}
inline int64_t tile_slot(const ScoreTile& tile, int64_t t) {
  return tile.rows != nullptr ? tile.slots[t - tile.row_begin] : t - tile.slot_base;
}

void score_portable(MatrixView rows, MatrixView cols, Metric metric, const float* row_norms,
                    const float* col_norms, const ScoreTile& tile, TopCandidates& best) {
  const float* thresholds = best.thresholds();
  const int64_t base = tile.slot_base;
  for (int64_t i = tile.row_begin; i < tile.row_end; ++i) {
    const float* a = rows.row(tile_row(tile, i));
    const int64_t slot = tile_slot(tile, i);
    for (int64_t j = tile.col_begin; j < tile.col_end; ++j) {
      const float dot = dot_in_order(a, cols.row(j), rows.cols);
      const float for_row = tile_score(dot, col_norms ? col_norms[j] : 0.0f, metric);
      if (for_row >= thresholds[slot]) best.offer(slot, for_row, static_cast<int32_t>(j));
      if (tile.both_sides) {
        const float for_col = tile_score(dot, row_norms ? row_norms[i] : 0.0f, metric);
        if (for_col >= thresholds[j - base]) best.offer(j - base, for_col, static_cast<int32_t>(i));
      }
    }
  }
}

__attribute__((target("avx2,fma"))) inline uint32_t at_least(__m256 lo, __m256 hi, __m256 bound_lo,
                                                             __m256 bound_hi) {
  const uint32_t low =
      static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(lo, bound_lo, _CMP_GE_OQ)));
  const uint32_t high =
      static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(hi, bound_hi, _CMP_GE_OQ)));
  return low | (high << 8);
}

// One 6 x 16 block per iteration: the dot products accumulate in registers (one fused
// multiply-add per dimension, in dimension order, as dot_in_order), are turned into scores, and
// are compared with the rows' and the columns' thresholds; only scores that pass leave the
// registers.
template <bool L2>
__attribute__((target("avx2,fma"))) void score_avx2(MatrixView data, const float* row_norms,
                                                    const float* col_norms, const float* panel,
                                                    const ScoreTile& tile, TopCandidates& best) {
  const int64_t dims = data.cols;
  const int64_t cols = tile.col_end - tile.col_begin;
  const int64_t base = tile.slot_base;
  const float* thresholds = best.thresholds();  // list r - base for row r
  const __m256 two = _mm256_set1_ps(2.0f);
  alignas(32) float block[kStripRows][kPanelCols];
  alignas(32) float column_norms[kPanelCols];
  alignas(32) float column_bounds[kPanelCols];
  for (int64_t i0 = tile.row_begin; i0 < tile.row_end; i0 += kStripRows) {
    const int rows = static_cast<int>(std::min<int64_t>(kStripRows, tile.row_end - i0));
    // A short strip repeats its last row: its scores are computed and never offered.
    const float* a0 = data.row(tile_row(tile, i0));
    const float* a1 = data.row(tile_row(tile, i0 + std::min(1, rows - 1)));
    const float* a2 = data.row(tile_row(tile, i0 + std::min(2, rows - 1)));
    const float* a3 = data.row(tile_row(tile, i0 + std::min(3, rows - 1)));
    const float* a4 = data.row(tile_row(tile, i0 + std::min(4, rows - 1)));
    const float* a5 = data.row(tile_row(tile, i0 + std::min(5, rows - 1)));
    for (int64_t c0 = 0; c0 < cols; c0 += kPanelCols) {
      const int width = static_cast<int>(std::min<int64_t>(kPanelCols, cols - c0));
      const uint32_t valid = width == kPanelCols ? 0xffffu : (1u << width) - 1u;
      const float* b = panel + (c0 / kPanelCols) * dims * kPanelCols;
      __m256 s00 = _mm256_setzero_ps(), s01 = _mm256_setzero_ps();
      __m256 s10 = _mm256_setzero_ps(), s11 = _mm256_setzero_ps();
      __m256 s20 = _mm256_setzero_ps(), s21 = _mm256_setzero_ps();
      __m256 s30 = _mm256_setzero_ps(), s31 = _mm256_setzero_ps();
      __m256 s40 = _mm256_setzero_ps(), s41 = _mm256_setzero_ps();
      __m256 s50 = _mm256_setzero_ps(), s51 = _mm256_setzero_ps();
      for (int64_t d = 0; d < dims; ++d) {
        const __m256 b0 = _mm256_loadu_ps(b + d * kPanelCols);
        const __m256 b1 = _mm256_loadu_ps(b + d * kPanelCols + 8);
        __m256 x = _mm256_broadcast_ss(a0 + d);
        s00 = _mm256_fmadd_ps(x, b0, s00);
        s01 = _mm256_fmadd_ps(x, b1, s01);
        x = _mm256_broadcast_ss(a1 + d);
        s10 = _mm256_fmadd_ps(x, b0, s10);
        s11 = _mm256_fmadd_ps(x, b1, s11);
        x = _mm256_broadcast_ss(a2 + d);
        s20 = _mm256_fmadd_ps(x, b0, s20);
        s21 = _mm256_fmadd_ps(x, b1, s21);
        x = _mm256_broadcast_ss(a3 + d);
        s30 = _mm256_fmadd_ps(x, b0, s30);
        s31 = _mm256_fmadd_ps(x, b1, s31);
        x = _mm256_broadcast_ss(a4 + d);
        s40 = _mm256_fmadd_ps(x, b0, s40);
        s41 = _mm256_fmadd_ps(x, b1, s41);
        x = _mm256_broadcast_ss(a5 + d);
        s50 = _mm256_fmadd_ps(x, b0, s50);
        s51 = _mm256_fmadd_ps(x, b1, s51);
      }
      const __m256 dots[kStripRows][2] = {{s00, s01}, {s10, s11}, {s20, s21},
                                          {s30, s31}, {s40, s41}, {s50, s51}};
      const int64_t j0 = tile.col_begin + c0;

      // Rows: each row's 16 scores against its own threshold.
      __m256 cn0 = _mm256_setzero_ps(), cn1 = _mm256_setzero_ps();
      if (L2) {
        std::fill(column_norms, column_norms + kPanelCols, 0.0f);
        std::memcpy(column_norms, col_norms + j0, static_cast<size_t>(width) * sizeof(float));
        cn0 = _mm256_load_ps(column_norms);
        cn1 = _mm256_load_ps(column_norms + 8);
      }
      for (int r = 0; r < rows; ++r) {
        const __m256 v0 = L2 ? _mm256_fmsub_ps(two, dots[r][0], cn0) : dots[r][0];
        const __m256 v1 = L2 ? _mm256_fmsub_ps(two, dots[r][1], cn1) : dots[r][1];
        const int64_t slot = tile_slot(tile, i0 + r);
        const __m256 bound = _mm256_set1_ps(thresholds[slot]);
        uint32_t pass = at_least(v0, v1, bound, bound) & valid;
        if (pass == 0) continue;
        _mm256_store_ps(block[r], v0);
        _mm256_store_ps(block[r] + 8, v1);
        for (; pass != 0; pass &= pass - 1) {
          const int c = __builtin_ctz(pass);
          best.offer(slot, block[r][c], static_cast<int32_t>(j0 + c));
        }
      }
      if (!tile.both_sides) continue;

      // Columns: the best of the strip's scores per column against the columns' thresholds;
      // only a column that passes looks at its rows one by one.
      __m256 v[kStripRows][2];
      for (int r = 0; r < kStripRows; ++r) {
        const int source = std::min(r, rows - 1);
        if (L2) {
          const __m256 n = _mm256_set1_ps(row_norms[i0 + source]);
          v[r][0] = _mm256_fmsub_ps(two, dots[source][0], n);
          v[r][1] = _mm256_fmsub_ps(two, dots[source][1], n);
        } else {
          v[r][0] = dots[source][0];
          v[r][1] = dots[source][1];
        }
      }
      __m256 best0 = v[0][0], best1 = v[0][1];
      for (int r = 1; r < kStripRows; ++r) {
        best0 = _mm256_max_ps(best0, v[r][0]);
        best1 = _mm256_max_ps(best1, v[r][1]);
      }
      const float* bounds = thresholds + (j0 - base);
      if (width < kPanelCols) {
        std::fill(column_bounds, column_bounds + kPanelCols, 0.0f);
        std::memcpy(column_bounds, bounds, static_cast<size_t>(width) * sizeof(float));
        bounds = column_bounds;
      }
      uint32_t pass =
          at_least(best0, best1, _mm256_loadu_ps(bounds), _mm256_loadu_ps(bounds + 8)) & valid;
      if (pass == 0) continue;
      for (int r = 0; r < rows; ++r) {
        _mm256_store_ps(block[r], v[r][0]);
        _mm256_store_ps(block[r] + 8, v[r][1]);
      }
      for (; pass != 0; pass &= pass - 1) {
        const int c = __builtin_ctz(pass);
        for (int r = 0; r < rows; ++r) {
          if (block[r][c] >= thresholds[j0 + c - base]) {
            best.offer(j0 + c - base, block[r][c], static_cast<int32_t>(i0 + r));
          }
        }
      }
    }
  }
}

void similarities_portable(MatrixView data, int64_t query, Metric metric, float* similarity,
                           float* squared_norms) {
  const float* q = data.row(query);
  const float query_norm = dot_in_order(q, q, data.cols);
  for (int64_t j = 0; j < data.rows; ++j) {
    const float* b = data.row(j);
    const float dot = dot_in_order(q, b, data.cols);
    squared_norms[j] = dot_in_order(b, b, data.cols);
    similarity[j] = is_l2(metric) ? -(query_norm + squared_norms[j] - 2.0f * dot) : dot;
  }
}

__attribute__((target("avx2,fma"))) float horizontal_sum(__m256 v) {
  const __m128 pair = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 quad = _mm_add_ps(pair, _mm_movehl_ps(pair, pair));
  return _mm_cvtss_f32(_mm_add_ss(quad, _mm_shuffle_ps(quad, quad, 1)));
}

__attribute__((target("avx2,fma"))) void similarities_avx2(MatrixView data, int64_t query,
                                                           Metric metric, float* similarity,
                                                           float* squared_norms) {
  const int64_t dims = data.cols, wide = dims / 8 * 8;
  const float* q = data.row(query);
  float query_norm = 0.0f;
  for (int64_t d = 0; d < dims; ++d) query_norm = std::fma(q[d], q[d], query_norm);
  for (int64_t j = 0; j < data.rows; ++j) {
    const float* b = data.row(j);
    __m256 dot8 = _mm256_setzero_ps(), norm8 = _mm256_setzero_ps();
    for (int64_t d = 0; d < wide; d += 8) {
      const __m256 x = _mm256_loadu_ps(b + d);
      dot8 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), x, dot8);
      norm8 = _mm256_fmadd_ps(x, x, norm8);
    }
    float dot = horizontal_sum(dot8), norm = horizontal_sum(norm8);
    for (int64_t d = wide; d < dims; ++d) {
      dot = std::fma(q[d], b[d], dot);
      norm = std::fma(b[d], b[d], norm);
    }
    squared_norms[j] = norm;
    similarity[j] = is_l2(metric) ? -(query_norm + norm - 2.0f * dot) : dot;
  }
}

}  // namespace

void float_similarities_of_row(MatrixView data, int64_t query, Metric metric, float* similarity,
                               float* squared_norms) {
  if (cpu_has_avx2_fma()) {
    similarities_avx2(data, query, metric, similarity, squared_norms);
  } else {
    similarities_portable(data, query, metric, similarity, squared_norms);
  }
}

double float_similarity_slack(double query_norm, double row_norm, int64_t dims, Metric metric) {
  // A float sum of `dims` products errs by at most about dims ulps of the sum of their
  // magnitudes (|q||b| for a dot product; |q|^2 + |b|^2 bounds every term of a squared
  // distance); twice that, and 8 more terms for the norms and the final combination.
  const double magnitude = is_l2(metric) ? query_norm + row_norm : std::sqrt(query_norm * row_norm);
  return 2.0 * static_cast<double>(dims + 8) * 0x1p-24 * magnitude + 1e-37;
}

std::vector<float> tile_squared_norms(MatrixView rows) {
  std::vector<float> norms(static_cast<size_t>(rows.rows));
  for (int64_t i = 0; i < rows.rows; ++i) {
    norms[static_cast<size_t>(i)] = dot_in_order(rows.row(i), rows.row(i), rows.cols);
  }
  return norms;
}

bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

float tile_score(float dot, float candidate_squared_norm, Metric metric) {
  return is_l2(metric) ? std::fma(2.0f, dot, -candidate_squared_norm) : dot;
}

TileScorer::TileScorer(MatrixView data, Metric metric, const float* squared_norms,
                       TileKernel kernel)
    : TileScorer(data, data, metric, squared_norms, squared_norms, kernel) {}

TileScorer::TileScorer(MatrixView rows, MatrixView columns, Metric metric,
                       const float* row_squared_norms, const float* column_squared_norms,
                       TileKernel kernel)
    : rows_(rows),
      columns_(columns),
      metric_(metric),
      row_norms_(row_squared_norms),
      column_norms_(column_squared_norms),
      same_matrix_(rows.data == columns.data && rows.rows == columns.rows) {
  if (rows.cols != columns.cols) {
    throw InputError(fmt::format("tile scorer: rows of {} and columns of {} dimensions", rows.cols,
                                 columns.cols));
  }
  avx2_ = kernel == TileKernel::avx2 || (kernel == TileKernel::automatic && cpu_has_avx2_fma());
}

void TileScorer::score(const ScoreTile& tile, TopCandidates& best) {
  if (tile.row_end <= tile.row_begin || tile.col_end <= tile.col_begin) return;
  if (tile.both_sides && (!same_matrix_ || tile.rows != nullptr)) {
    throw InputError("tile scorer: both_sides needs rows and columns of one matrix, in ranges");
  }
  if (!avx2_) {
    score_portable(rows_, columns_, metric_, row_norms_, column_norms_, tile, best);
    return;
  }
  pack_panels(columns_, tile.col_begin, tile.col_end, panel_);
  if (is_l2(metric_)) {
    score_avx2<true>(rows_, row_norms_, column_norms_, panel_.data(), tile, best);
  } else {
    score_avx2<false>(rows_, row_norms_, column_norms_, panel_.data(), tile, best);
  }
}

int64_t TileScorer::preferred_block_rows(int64_t dims) {
  // The packed columns (rows x dims floats) in about a quarter of a 1 MiB L2, beside the rows'
  // strip and the best' lines; a multiple of the 16-column panel, 64 to 2048 rows.
  const int64_t rows = (256 * 1024 / 4) / std::max<int64_t>(dims, 1);
  return std::clamp<int64_t>(rows / kPanelCols * kPanelCols, 64, 2048);
}

}  // namespace unfriend
