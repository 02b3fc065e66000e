#include "host/cpu/kmeans.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>

#include "host/cpu/row_sample.h"
#include "host/cpu/score_tile.h"
#include "host/cpu/top_candidates.h"

namespace unfriend {

namespace {

// The `width` best columns of every row into best (rows x width), in parallel over row blocks:
// each block's lists belong to one thread.
void best_columns(MatrixView rows, MatrixView columns, Metric metric, TopCandidates& best) {
  const std::vector<float> column_norms =
      metric == Metric::l2 ? tile_squared_norms(columns) : std::vector<float>{};
  const int64_t block_rows = TileScorer::preferred_block_rows(rows.cols);
  const int64_t row_blocks = (rows.rows + block_rows - 1) / block_rows;
  std::exception_ptr failure;
#pragma omp parallel
  {
    TileScorer scorer(rows, columns, metric, nullptr,
                      column_norms.empty() ? nullptr : column_norms.data());
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < row_blocks; ++b) {
      try {
        const int64_t first = b * block_rows, last = std::min(rows.rows, first + block_rows);
        for (int64_t c = 0; c < columns.rows; c += block_rows) {
          scorer.score(ScoreTile{first, last, c, std::min(columns.rows, c + block_rows), false, 0},
                       best);
        }
      } catch (...) {
#pragma omp critical(unfriend_kmeans_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

std::vector<int64_t> nearest_centroids(MatrixView rows, MatrixView centroids, Metric metric) {
  TopCandidates best(rows.rows, 1);
  best_columns(rows, centroids, metric, best);
  std::vector<int64_t> nearest(static_cast<size_t>(rows.rows));
  for (int64_t i = 0; i < rows.rows; ++i) {
    best.take_rows(i, nearest.data() + i);
    if (nearest[static_cast<size_t>(i)] < 0) nearest[static_cast<size_t>(i)] = 0;  // NaN scores
  }
  return nearest;
}

std::vector<int64_t> nearest_centroid_lists(MatrixView centroids, int width, Metric metric) {
  width = static_cast<int>(std::min<int64_t>(width, centroids.rows));
  TopCandidates best(centroids.rows, width);
  best_columns(centroids, centroids, metric, best);
  std::vector<int64_t> lists(static_cast<size_t>(centroids.rows * width), -1);
  std::vector<Candidate> sorted;
  for (int64_t l = 0; l < centroids.rows; ++l) {
    int count = 0;
    const Candidate* kept = best.kept(l, &count);
    sorted.assign(kept, kept + count);
    std::sort(sorted.begin(), sorted.end(), candidate_before);
    int64_t* out = lists.data() + l * width;
    out[0] = l;  // a list is probed first, whatever rounding says about its own centroid
    int filled = 1;
    for (const Candidate& c : sorted) {
      if (c.row != l && filled < width) out[filled++] = c.row;
    }
  }
  return lists;
}

std::vector<float> train_kmeans(MatrixView train, int lists, int iterations, bool spherical,
                                Metric metric, uint64_t seed) {
  const int64_t dims = train.cols;
  std::vector<float> centroids(static_cast<size_t>(lists * dims));
  const std::vector<int64_t> start = sample_rows(train.rows, lists, seed);
  for (int l = 0; l < lists; ++l) {
    std::copy(train.row(start[static_cast<size_t>(l)]),
              train.row(start[static_cast<size_t>(l)]) + dims, centroids.data() + l * dims);
  }
  std::vector<double> sums(static_cast<size_t>(lists * dims));
  std::vector<int64_t> sizes(static_cast<size_t>(lists));
  for (int round = 0; round < iterations; ++round) {
    const MatrixView centroid_view{centroids.data(), lists, dims};
    const std::vector<int64_t> nearest = nearest_centroids(train, centroid_view, metric);
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(sizes.begin(), sizes.end(), 0);
    for (int64_t i = 0; i < train.rows; ++i) {
      const size_t l = static_cast<size_t>(nearest[static_cast<size_t>(i)]);
      ++sizes[l];
      double* sum = sums.data() + l * static_cast<size_t>(dims);
      const float* row = train.row(i);
      for (int64_t d = 0; d < dims; ++d) sum[d] += row[d];
    }
    for (int l = 0; l < lists; ++l) {
      if (sizes[static_cast<size_t>(l)] == 0) continue;
      const double* sum = sums.data() + static_cast<size_t>(l) * dims;
      double scale = 1.0 / static_cast<double>(sizes[static_cast<size_t>(l)]);
      if (spherical) {
        double norm = 0;
        for (int64_t d = 0; d < dims; ++d) norm += sum[d] * sum[d];
        scale = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
      }
      for (int64_t d = 0; d < dims; ++d) {
        centroids[static_cast<size_t>(l * dims + d)] = static_cast<float>(sum[d] * scale);
      }
    }
    // Empty lists split the largest cluster in two.
    constexpr float kNudge = 1.0f / 1024.0f;
    for (int l = 0; l < lists; ++l) {
      if (sizes[static_cast<size_t>(l)] != 0) continue;
      const int largest =
          static_cast<int>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
      float* into = centroids.data() + static_cast<size_t>(l) * dims;
      float* from = centroids.data() + static_cast<size_t>(largest) * dims;
      for (int64_t d = 0; d < dims; ++d) {
        const float sign = d % 2 == 0 ? 1.0f : -1.0f;
        into[d] = from[d] * (1.0f + sign * kNudge);
        from[d] = from[d] * (1.0f - sign * kNudge);
      }
      sizes[static_cast<size_t>(l)] = sizes[static_cast<size_t>(largest)] / 2;
      sizes[static_cast<size_t>(largest)] -= sizes[static_cast<size_t>(l)];
    }
  }
  return centroids;
}

}  // namespace unfriend
