#include "host/cpu/cpu_knn.h"

#include <faiss/impl/FaissException.h>
#include <fmt/format.h>

#include <chrono>
#include <limits>
#include <new>

#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/exact_knn.h"
#include "host/cpu/hnsw_knn.h"
#include "host/cpu/ivf_knn.h"
#include "host/cpu/knn_rows.h"
#include "host/cpu/knn_search_common.h"
#include "host/cpu/reference_knn.h"

namespace unfriend {

namespace {

// Exact search is our own tiled self-join (host/cpu/exact_knn.h); FAISS's brute force stays
// the reference it is tested against (exact_knn_of_rows).
void exact_graph(MatrixView data, const KnnParams& params, int k_search, KnnGraph& graph,
                 KnnCheckpoint* checkpoint) {
  tiled_exact_knn(data, params, k_search,
                  knn_plan_prefix("exact", data, params, k_search) + ", ties at the cut completed",
                  graph, checkpoint);
}

}  // namespace

KnnGraph cpu_knn_graph(MatrixView data, const KnnParams& params, KnnReport* report,
                       KnnCheckpoint* checkpoint) {
  const auto start = std::chrono::steady_clock::now();
  validate_knn_data(data, params);
  const KnnMode mode = resolve_knn_mode(data.rows, params);

  KnnGraph graph;
  graph.rows = data.rows;
  graph.k = params.k;
  graph.neighbors.assign(static_cast<size_t>(data.rows * params.k), -1);
  graph.similarity.assign(static_cast<size_t>(data.rows * params.k),
                          -std::numeric_limits<float>::infinity());
  KnnReport local;
  local.mode_used = mode;

  if (data.rows > 0) {
    const int k_search = search_width(data.rows, params.k);
    if (params.mode == KnnMode::automatic) {
      log_info(fmt::format("knn: {} rows -> {} search (exact up to {} rows)", data.rows,
                           to_string(mode), params.auto_exact_max_rows));
    }
    try {
      switch (mode) {
        case KnnMode::automatic:  // resolved above
        case KnnMode::exact:
          exact_graph(data, params, k_search, graph, checkpoint);
          break;
        case KnnMode::ivf: {
          IvfSettings ivf = resolve_ivf_settings(data.rows, params);
          log_info(fmt::format("knn: ivf nlist={} nprobe={}, trained on {} of {} rows", ivf.nlist,
                               ivf.tune_nprobe ? std::string("auto") : std::to_string(ivf.nprobe),
                               ivf.train_rows, data.rows));
          if (ivf.train_rows < kMinPointsPerIvfList * ivf.nlist) {
            log_warning(fmt::format(
                "knn: ivf trains {} lists on {} rows (under {} per list): lists will be uneven",
                ivf.nlist, ivf.train_rows, kMinPointsPerIvfList));
          }
          ivf_join_graph(data, params, ivf, k_search, graph, checkpoint);
          local.ivf_nlist = ivf.nlist;
          local.ivf_nprobe = ivf.nprobe;
          break;
        }
        case KnnMode::hnsw:
          hnsw_graph(data, params, k_search, graph, checkpoint);
          break;
      }
    } catch (const faiss::FaissException& e) {
      throw RuntimeFailure(
          fmt::format("knn {} search failed in FAISS: {}", to_string(mode), e.what()));
    } catch (const std::bad_alloc&) {
      throw RuntimeFailure(fmt::format("knn {} search of {} x {} rows ran out of memory",
                                       to_string(mode), data.rows, data.cols));
    }
  }
  canonicalize_rows(graph);
  local.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (report) *report = local;
  return graph;
}

KnnGraph cpu_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows,
                         const RowsKnnParams& params) {
  switch (params.mode) {
    case KnnMode::exact:
      return exact_knn_of_rows(data, query_rows, params.k, params.metric, params.query_block_rows);
    case KnnMode::ivf:
      return ivf_knn_of_rows(data, query_rows, params.k, params.metric, params.ivf_nlist,
                             params.ivf_nprobe, params.seed, params.query_block_rows);
    default:
      throw InputError(fmt::format("kNN of rows: mode {} is not supported (exact or ivf)",
                                   to_string(params.mode)));
  }
}

}  // namespace unfriend
