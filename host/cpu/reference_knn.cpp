#include "host/cpu/reference_knn.h"

#include <faiss/impl/FaissException.h>
#include <faiss/utils/distances.h>
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "host/core/error.h"
#include "host/cpu/exact_knn.h"
#include "host/cpu/knn_rows.h"
#include "host/cpu/knn_search_common.h"

namespace unfriend {

namespace {

/// Exact search of `count` query vectors against all rows (FAISS brute force: BLAS for large
/// blocks). `norms` holds the squared row norms for l2 (nullptr otherwise).
void flat_search(MatrixView data, const float* norms, const float* queries, int64_t count,
                 int k_search, Metric metric, float* distances, int64_t* labels) {
  const size_t dims = static_cast<size_t>(data.cols);
  if (metric == Metric::l2) {
    faiss::knn_L2sqr(queries, data.data, dims, static_cast<size_t>(count),
                     static_cast<size_t>(data.rows), static_cast<size_t>(k_search), distances,
                     labels, norms);
  } else {
    faiss::knn_inner_product(queries, data.data, dims, static_cast<size_t>(count),
                             static_cast<size_t>(data.rows), static_cast<size_t>(k_search),
                             distances, labels);
  }
}

std::vector<float> squared_norms(MatrixView data, Metric metric) {
  std::vector<float> norms;
  if (metric != Metric::l2) return norms;
  norms.resize(static_cast<size_t>(data.rows));
  faiss::fvec_norms_L2sqr(norms.data(), data.data, static_cast<size_t>(data.cols),
                          static_cast<size_t>(data.rows));
  return norms;
}

// The graph of the listed rows before the search: every row padded (-1, -inf). InputError for
// a row outside the data.
KnnGraph padded_graph_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k) {
  for (int64_t row : query_rows) {
    if (row < 0 || row >= data.rows) {
      throw InputError(
          fmt::format("exact kNN query row {} is outside the {} data rows", row, data.rows));
    }
  }
  const int64_t n = static_cast<int64_t>(query_rows.size());
  KnnGraph graph;
  graph.rows = n;
  graph.k = k;
  graph.neighbors.assign(static_cast<size_t>(n * k), -1);
  graph.similarity.assign(static_cast<size_t>(n * k), -std::numeric_limits<float>::infinity());
  return graph;
}

}  // namespace

KnnGraph exact_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k,
                           Metric metric, int64_t query_block_rows) {
  KnnParams params;
  params.k = k;
  params.metric = metric;
  validate_knn_data(data, params);
  const int64_t n = static_cast<int64_t>(query_rows.size());
  KnnGraph graph = padded_graph_of_rows(data, query_rows, k);
  if (n == 0) return graph;
  tiled_exact_knn_of_rows(data, query_rows, k, search_width(data.rows, k), metric,
                          query_block_rows > 0 ? query_block_rows : KnnParams{}.query_block_rows,
                          graph);
  canonicalize_rows(graph);
  return graph;
}

KnnGraph faiss_exact_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k,
                                 Metric metric, int64_t query_block_rows) {
  KnnParams params;
  params.k = k;
  params.metric = metric;
  if (query_block_rows > 0) params.query_block_rows = query_block_rows;
  validate_knn_data(data, params);
  const int64_t n = static_cast<int64_t>(query_rows.size());
  KnnGraph graph = padded_graph_of_rows(data, query_rows, k);
  if (n == 0) return graph;

  const int k_search = search_width(data.rows, k);
  std::vector<float> norms = squared_norms(data, metric);
  const int64_t block = std::min<int64_t>(params.query_block_rows, n);
  std::vector<float> queries(static_cast<size_t>(block * data.cols));
  std::vector<float> distances(static_cast<size_t>(block * k_search));
  std::vector<int64_t> labels(static_cast<size_t>(block * k_search));
  try {
    for (int64_t first = 0; first < n; first += block) {
      const int64_t count = std::min(block, n - first);
      for (int64_t q = 0; q < count; ++q) {
        const float* src = data.row(query_rows[static_cast<size_t>(first + q)]);
        std::copy(src, src + data.cols, queries.data() + q * data.cols);
      }
      flat_search(data, norms.empty() ? nullptr : norms.data(), queries.data(), count, k_search,
                  metric, distances.data(), labels.data());
      assemble_knn_rows(data, metric, query_rows.data() + first, count, labels.data(), k_search, k,
                        graph.neighbors.data() + first * k, graph.similarity.data() + first * k,
                        /*complete_ties=*/true);
    }
  } catch (const faiss::FaissException& e) {
    throw RuntimeFailure(
        fmt::format("exact kNN of {} sampled rows failed in FAISS: {}", n, e.what()));
  }
  canonicalize_rows(graph);
  return graph;
}

}  // namespace unfriend
