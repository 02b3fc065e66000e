#include "host/cpu/exact_knn.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <exception>
#include <memory>
#include <vector>

#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/knn_rows.h"
#include "host/cpu/knn_units.h"
#include "host/cpu/top_candidates.h"

namespace unfriend {

namespace {

struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
};

// The per-thread scorers and the parallel loop over one round of conflict-free tiles.
class TileRunner {
 public:
  TileRunner(MatrixView data, Metric metric, const float* norms, TileKernel kernel,
             TopCandidates& best)
      : best_(best) {
    const int threads = std::max(1, omp_get_max_threads());
    for (int t = 0; t < threads; ++t) {
      scorers_.push_back(std::make_unique<TileScorer>(data, metric, norms, kernel));
    }
  }

  // tiles[t] for t in [0, count), in parallel: the caller guarantees they touch disjoint rows.
  void run(const std::vector<ScoreTile>& tiles) {
    std::exception_ptr failure;
    const int64_t count = static_cast<int64_t>(tiles.size());
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t t = 0; t < count; ++t) {
      try {
        const int thread =
            std::min<int>(omp_get_thread_num(), static_cast<int>(scorers_.size()) - 1);
        scorers_[static_cast<size_t>(thread)]->score(tiles[static_cast<size_t>(t)], best_);
      } catch (...) {
#pragma omp critical(unfriend_tile_failure)
        if (!failure) failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
    tiles_done_ += count;
  }

  int64_t tiles_done() const { return tiles_done_; }

 private:
  TopCandidates& best_;
  std::vector<std::unique_ptr<TileScorer>> scorers_;
  int64_t tiles_done_ = 0;
};

ScoreTile tile_of(const RowRange& rows, const RowRange& cols, bool both_sides) {
  return ScoreTile{rows.begin, rows.end, cols.begin, cols.end, both_sides};
}

// Rounds of the circle method over `blocks`: every pair of distinct blocks exactly once, each
// block in at most one pair per round.
void all_pairs_rounds(const std::vector<RowRange>& blocks, TileRunner& runner, Progress& progress) {
  const int64_t b = static_cast<int64_t>(blocks.size());
  if (b < 2) return;
  const int64_t m = b + (b % 2);  // an odd count plays against a bye
  auto seat = [m](int64_t position, int64_t round) {
    return position == 0 ? 0 : 1 + (position - 1 + round) % (m - 1);
  };
  std::vector<ScoreTile> tiles;
  for (int64_t round = 0; round < m - 1; ++round) {
    tiles.clear();
    for (int64_t p = 0; p < m / 2; ++p) {
      const int64_t x = seat(p, round), y = seat(m - 1 - p, round);
      if (x < b && y < b)
        tiles.push_back(
            tile_of(blocks[static_cast<size_t>(x)], blocks[static_cast<size_t>(y)], true));
    }
    runner.run(tiles);
    progress.advance(static_cast<int64_t>(tiles.size()));
  }
}

// Rounds over the pairs (left[a], right[c]): every pair exactly once, each block in at most one
// pair per round (rows of `left` and of `right` are disjoint).
void bipartite_rounds(const std::vector<RowRange>& left, const std::vector<RowRange>& right,
                      TileRunner& runner, Progress& progress) {
  const int64_t b = static_cast<int64_t>(left.size()), m = static_cast<int64_t>(right.size());
  if (b == 0 || m == 0) return;
  std::vector<ScoreTile> tiles;
  const int64_t rounds = std::max(b, m), per_round = std::min(b, m);
  for (int64_t round = 0; round < rounds; ++round) {
    tiles.clear();
    for (int64_t t = 0; t < per_round; ++t) {
      const int64_t a = b <= m ? t : (t + round) % b;
      const int64_t c = b <= m ? (t + round) % m : t;
      tiles.push_back(tile_of(left[static_cast<size_t>(a)], right[static_cast<size_t>(c)], true));
    }
    runner.run(tiles);
    progress.advance(static_cast<int64_t>(tiles.size()));
  }
}

}  // namespace

void tiled_exact_knn(MatrixView data, const KnnParams& params, int k_search,
                     const std::string& plan, KnnGraph& graph, KnnCheckpoint* checkpoint,
                     TileKernel kernel) {
  const int64_t n = data.rows;
  if (n == 0) return;
  if (n > INT32_MAX) {
    throw InputError(
        fmt::format("exact kNN of {} rows: at most {} rows (use knn mode ivf)", n, INT32_MAX));
  }
  const int64_t band_rows = std::min<int64_t>(params.query_block_rows, n);
  const int64_t units = (n + band_rows - 1) / band_rows;
  const int64_t block_rows = std::min(TileScorer::preferred_block_rows(data.cols), band_rows);
  std::vector<std::vector<RowRange>> band_blocks(static_cast<size_t>(units));
  for (int64_t u = 0; u < units; ++u) {
    const int64_t end = std::min(n, (u + 1) * band_rows);
    for (int64_t first = u * band_rows; first < end; first += block_rows) {
      band_blocks[static_cast<size_t>(u)].push_back({first, std::min(end, first + block_rows)});
    }
  }
  if (checkpoint != nullptr) {
    checkpoint->begin(fmt::format("{}, query blocks of {} rows", plan, band_rows), units);
  }

  std::vector<uint8_t> loaded(static_cast<size_t>(units), 0);
  std::vector<int64_t> self;
  {
    KnnUnit unit;
    for (int64_t u = 0; checkpoint != nullptr && u < units; ++u) {
      const int64_t first = u * band_rows, count = std::min(band_rows, n - first);
      self.resize(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) self[static_cast<size_t>(i)] = first + i;
      if (checkpoint->load(u, unit) && unit_fits(unit, self.data(), count, graph)) {
        unit_to_graph(unit, graph);
        loaded[static_cast<size_t>(u)] = 1;
      }
    }
  }
  if (std::all_of(loaded.begin(), loaded.end(), [](uint8_t l) { return l != 0; })) return;

  const std::vector<float> norms =
      params.metric == Metric::l2 ? tile_squared_norms(data) : std::vector<float>{};
  TopCandidates best(n, k_search);
  TileRunner runner(data, params.metric, norms.empty() ? nullptr : norms.data(), kernel, best);

  // Tiles to score: each band to compute meets itself (its diagonal blocks one-sided, the rest
  // of its triangle both-sided), the bands to compute after it both-sided, and the loaded
  // bands one-sided.
  std::vector<RowRange> loaded_blocks;
  for (int64_t u = 0; u < units; ++u) {
    if (loaded[static_cast<size_t>(u)]) {
      const auto& blocks = band_blocks[static_cast<size_t>(u)];
      loaded_blocks.insert(loaded_blocks.end(), blocks.begin(), blocks.end());
    }
  }
  int64_t total_tiles = 0, computed_blocks_after = 0;
  for (int64_t u = units - 1; u >= 0; --u) {
    if (loaded[static_cast<size_t>(u)]) continue;
    const int64_t b = static_cast<int64_t>(band_blocks[static_cast<size_t>(u)].size());
    total_tiles += b * static_cast<int64_t>(loaded_blocks.size()) + b + b * (b - 1) / 2 +
                   b * computed_blocks_after;
    computed_blocks_after += b;
  }

  Progress progress("knn exact", total_tiles, "tiles");
  std::vector<int64_t> candidates;
  KnnUnit unit;
  std::vector<ScoreTile> tiles;
  for (int64_t u = 0; u < units; ++u) {
    if (loaded[static_cast<size_t>(u)]) continue;
    if (checkpoint != nullptr && checkpoint->stop_requested()) {
      throw StopRequested(units_saved(*checkpoint, units));
    }
    const auto& blocks = band_blocks[static_cast<size_t>(u)];
    // One-sided: each block against itself and against every loaded band (rows' lists only).
    tiles.clear();
    for (const RowRange& block : blocks) tiles.push_back(tile_of(block, block, false));
    runner.run(tiles);
    progress.advance(static_cast<int64_t>(tiles.size()));
    if (!loaded_blocks.empty()) {
      for (const RowRange& other : loaded_blocks) {
        tiles.clear();
        for (const RowRange& block : blocks) tiles.push_back(tile_of(block, other, false));
        runner.run(tiles);
        progress.advance(static_cast<int64_t>(tiles.size()));
      }
    }
    all_pairs_rounds(blocks, runner, progress);
    std::vector<RowRange> later;
    for (int64_t w = u + 1; w < units; ++w) {
      if (loaded[static_cast<size_t>(w)]) continue;
      const auto& other = band_blocks[static_cast<size_t>(w)];
      later.insert(later.end(), other.begin(), other.end());
    }
    bipartite_rounds(blocks, later, runner, progress);

    // The band has met every row: its candidates are final.
    const int64_t first = u * band_rows, count = std::min(band_rows, n - first);
    candidates.resize(static_cast<size_t>(count * k_search));
    self.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      self[static_cast<size_t>(i)] = first + i;
      best.take_rows(first + i, candidates.data() + i * k_search);
    }
    assemble_knn_rows(data, params.metric, self.data(), count, candidates.data(), k_search, graph.k,
                      graph.neighbors.data() + first * graph.k,
                      graph.similarity.data() + first * graph.k, /*complete_ties=*/true);
    if (checkpoint != nullptr) {
      graph_to_unit(graph, self.data(), count, unit);
      checkpoint->save(u, unit);
    }
  }
  progress.finish();
}

namespace {

// Queries query_rows[0, queries) into out rows [0, queries) of k entries.
void search_query_chunk(MatrixView data, const int64_t* query_rows, int64_t queries, int k,
                        int k_search, Metric metric, const float* norms, TileKernel kernel,
                        int64_t* out_neighbors, float* out_similarity) {
  std::vector<float> gathered(static_cast<size_t>(queries * data.cols));
  for (int64_t q = 0; q < queries; ++q) {
    const float* row = data.row(query_rows[q]);
    std::copy(row, row + data.cols, gathered.data() + q * data.cols);
  }
  const MatrixView query_view{gathered.data(), queries, data.cols};
  const int64_t block_rows = TileScorer::preferred_block_rows(data.cols);
  const int64_t blocks = (data.rows + block_rows - 1) / block_rows;
  const int threads = std::max(1, omp_get_max_threads());
  std::vector<std::unique_ptr<TopCandidates>> per_thread(static_cast<size_t>(threads));
  std::exception_ptr failure;
#pragma omp parallel num_threads(threads)
  {
    const int thread = omp_get_thread_num();
    try {
      per_thread[static_cast<size_t>(thread)] = std::make_unique<TopCandidates>(queries, k_search);
      TileScorer scorer(query_view, data, metric, nullptr, norms, kernel);
#pragma omp for schedule(dynamic, 1)
      for (int64_t b = 0; b < blocks; ++b) {
        scorer.score(ScoreTile{0, queries, b * block_rows,
                               std::min(data.rows, (b + 1) * block_rows), false, 0},
                     *per_thread[static_cast<size_t>(thread)]);
      }
    } catch (...) {
#pragma omp critical(unfriend_tile_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  TopCandidates best(queries, k_search);
  for (const auto& part : per_thread) {
    if (part) best.merge(*part);
  }
  per_thread.clear();
  std::vector<int64_t> candidates(static_cast<size_t>(queries * k_search));
  for (int64_t q = 0; q < queries; ++q) best.take_rows(q, candidates.data() + q * k_search);
  assemble_knn_rows(data, metric, query_rows, queries, candidates.data(), k_search, k,
                    out_neighbors, out_similarity, /*complete_ties=*/true);
}

}  // namespace

void tiled_exact_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k,
                             int k_search, Metric metric, int64_t query_block_rows, KnnGraph& graph,
                             TileKernel kernel) {
  const int64_t queries = static_cast<int64_t>(query_rows.size());
  if (queries == 0 || data.rows == 0) return;
  if (data.rows > INT32_MAX) {
    throw InputError(fmt::format("exact kNN of {} rows: at most {} rows (use knn mode ivf)",
                                 data.rows, INT32_MAX));
  }
  const std::vector<float> norms =
      metric == Metric::l2 ? tile_squared_norms(data) : std::vector<float>{};
  const int64_t chunk = query_block_rows > 0 ? std::min(query_block_rows, queries) : queries;
  for (int64_t first = 0; first < queries; first += chunk) {
    const int64_t count = std::min(chunk, queries - first);
    search_query_chunk(data, query_rows.data() + first, count, k, k_search, metric,
                       norms.empty() ? nullptr : norms.data(), kernel,
                       graph.neighbors.data() + first * k, graph.similarity.data() + first * k);
  }
}

}  // namespace unfriend
