#include "host/cpu/hnsw_knn.h"

#include <faiss/IndexHNSW.h>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/knn_rows.h"
#include "host/cpu/knn_search_common.h"
#include "host/cpu/knn_units.h"

namespace unfriend {

namespace {

faiss::MetricType faiss_metric(Metric metric) {
  return metric == Metric::l2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

// Rows per FAISS call when adding rows to HNSW. Fixed, not
// knn.query_block_rows: FAISS's answer for a row can depend on how many rows share the call (its
// BLAS path starts at 20 query rows; HNSW inserts each call's rows level by level), and the
// graph must not depend on block sizes. 16384 is the default query_block_rows, so results of
// the default configuration are what they were when these calls used it.
constexpr int64_t kFixedCallRows = 16384;

/// Runs the rows in blocks of query_block_rows, one checkpoint unit per block: a block the
/// checkpoint holds is copied into the graph; any other is searched with
/// `search_block(first_row, count, labels)`, assembled and saved. `prepare()` runs once, before
/// the first block that has to be searched (HNSW builds its index there, so a resume whose
/// blocks are all saved skips the build).
template <typename Prepare, typename SearchBlock>
void search_in_blocks(MatrixView data, const KnnParams& params, int k_search,
                      const std::string& stage, const std::string& plan, KnnGraph& graph,
                      KnnCheckpoint* checkpoint, bool exact, Prepare prepare,
                      SearchBlock search_block) {
  const int64_t block = std::min<int64_t>(params.query_block_rows, data.rows);
  const int64_t units = (data.rows + block - 1) / block;
  if (checkpoint != nullptr) {
    checkpoint->begin(fmt::format("{}, query blocks of {} rows", plan, block), units);
  }
  // Progress (rate, ETA) counts the rows to search, not those read back from the checkpoint.
  int64_t to_search = data.rows;
  for (int64_t u = 0; checkpoint != nullptr && u < units; ++u) {
    if (checkpoint->done(u)) to_search -= std::min(block, data.rows - u * block);
  }
  std::vector<int64_t> labels, self(static_cast<size_t>(block));
  KnnUnit unit;
  bool prepared = false;
  Progress progress(stage, to_search);
  for (int64_t u = 0; u < units; ++u) {
    const int64_t first = u * block;
    const int64_t count = std::min(block, data.rows - first);
    std::iota(self.begin(), self.begin() + count, first);
    if (checkpoint != nullptr && checkpoint->load(u, unit) &&
        unit_fits(unit, self.data(), count, graph)) {
      unit_to_graph(unit, graph);
      continue;
    }
    if (checkpoint != nullptr && checkpoint->stop_requested()) {
      throw StopRequested(units_saved(*checkpoint, units));
    }
    if (!prepared) {
      prepare();
      labels.resize(static_cast<size_t>(block * k_search));
      prepared = true;
    }
    search_block(first, count, labels.data());
    assemble_knn_rows(data, params.metric, self.data(), count, labels.data(), k_search, graph.k,
                      graph.neighbors.data() + first * graph.k,
                      graph.similarity.data() + first * graph.k, exact);
    if (checkpoint != nullptr) {
      graph_to_unit(graph, self.data(), count, unit);
      checkpoint->save(u, unit);
    }
    progress.advance(count);
  }
  progress.finish();
}

}  // namespace

void hnsw_graph(MatrixView data, const KnnParams& params, int k_search, KnnGraph& graph,
                KnnCheckpoint* checkpoint) {
  if (params.hnsw_m < 2) {
    throw InputError(fmt::format("kNN hnsw_m must be at least 2, got {}", params.hnsw_m));
  }
  if (params.hnsw_ef_construction < 1 || params.hnsw_ef_search < 1) {
    throw InputError(
        fmt::format("kNN hnsw_ef_construction and hnsw_ef_search must be at least 1, got {} and {}",
                    params.hnsw_ef_construction, params.hnsw_ef_search));
  }
  std::unique_ptr<faiss::IndexHNSWFlat> index;
  std::vector<float> distances;
  const std::string plan =
      fmt::format("{}, hnsw M={} ef_construction={} ef_search={}",
                  knn_plan_prefix("hnsw", data, params, k_search), params.hnsw_m,
                  params.hnsw_ef_construction, std::max(params.hnsw_ef_search, k_search));
  search_in_blocks(
      data, params, k_search, "knn hnsw", plan, graph, checkpoint, /*exact=*/false,
      [&] {
        if (checkpoint != nullptr && omp_get_max_threads() > 1) {
          const int64_t units = (data.rows + params.query_block_rows - 1) / params.query_block_rows;
          bool resumed = false;
          for (int64_t u = 0; u < units && !resumed; ++u) resumed = checkpoint->done(u);
          if (resumed) {
            log_warning(
                "knn: resuming HNSW rebuilds its index, which inserts rows in parallel: the "
                "graph may differ slightly from an uninterrupted run (--threads 1 avoids that)");
          }
        }
        index = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(data.cols), params.hnsw_m,
                                                       faiss_metric(params.metric));
        index->hnsw.efConstruction = params.hnsw_ef_construction;
        Progress progress("knn hnsw add", data.rows);
        for (int64_t first = 0; first < data.rows; first += kFixedCallRows) {
          const int64_t count = std::min(kFixedCallRows, data.rows - first);
          index->add(count, data.row(first));
          progress.advance(count);
        }
        progress.finish();
        // The beam must be at least as wide as the result list, or results are missing.
        index->hnsw.efSearch = std::max(params.hnsw_ef_search, k_search);
        const int64_t block = std::min<int64_t>(params.query_block_rows, data.rows);
        distances.resize(static_cast<size_t>(block * k_search));
      },
      [&](int64_t first, int64_t count, int64_t* labels) {
        index->search(count, data.row(first), k_search, distances.data(), labels);
      });
}

}  // namespace unfriend
