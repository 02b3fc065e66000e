#include "host/cpu/faiss_knn.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/utils/distances.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <numeric>

#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/knn_rows.h"
#include "host/cpu/row_sample.h"

namespace unfriend {

namespace {

// FAISS's k-means warns below this many training points per centroid.
constexpr int64_t k_min_points_per_list = 39;

faiss::MetricType faiss_metric(Metric metric) {
  return metric == Metric::l2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

void validate(MatrixView data, const KnnParams& params) {
  if (params.k < 1) throw InputError(fmt::format("kNN k must be at least 1, got {}", params.k));
  if (params.query_block_rows < 1) {
    throw InputError(
        fmt::format("kNN query_block_rows must be at least 1, got {}", params.query_block_rows));
  }
  if (data.rows < 0) throw InputError(fmt::format("kNN input has {} rows", data.rows));
  if (data.rows == 0) return;
  if (data.cols < 1 || data.cols > INT_MAX) {
    throw InputError(fmt::format("kNN input has {} columns, expected 1 to {}", data.cols, INT_MAX));
  }
  if (data.data == nullptr) {
    throw InputError(fmt::format("kNN input of {} rows has no data", data.rows));
  }
  // One NaN poisons every distance it touches and FAISS would return garbage without a word.
  const int64_t total = data.rows * data.cols;
  int64_t first_bad = total;
#pragma omp parallel for reduction(min : first_bad) schedule(static)
  for (int64_t i = 0; i < total; ++i) {
    if (!std::isfinite(data.data[i]) && i < first_bad) first_bad = i;
  }
  if (first_bad < total) {
    throw InputError(fmt::format("kNN input row {} column {} is not finite ({})",
                                 first_bad / data.cols, first_bad % data.cols,
                                 data.data[first_bad]));
  }
}

// Candidates searched beyond k+1. FAISS scores in float, and its BLAS and SIMD paths (picked by
// block size) round differently, so two neighbours within a few ulps can swap places at the
// cut. Rescoring a few extra candidates in double and cutting after that makes the kept set the
// same for any block size or thread count (short of more than this many near-ties at the cut).
constexpr int64_t k_rescore_margin = 4;

int search_width(int64_t rows, int k) {
  // k+1 so that the row itself, which every search finds, can be removed; plus the margin.
  return static_cast<int>(std::min<int64_t>(static_cast<int64_t>(k) + 1 + k_rescore_margin, rows));
}

/// Runs `search_block(first_row, count, labels)` over the rows in blocks, assembling each block
/// into the graph, with a progress line.
template <typename SearchBlock>
void search_in_blocks(MatrixView data, const KnnParams& params, int k_search,
                      const std::string& stage, KnnGraph& graph, SearchBlock search_block) {
  const int64_t block = std::min<int64_t>(params.query_block_rows, data.rows);
  std::vector<int64_t> labels(static_cast<size_t>(block * k_search));
  std::vector<int64_t> self(static_cast<size_t>(block));
  Progress progress(stage, data.rows);
  for (int64_t first = 0; first < data.rows; first += block) {
    const int64_t count = std::min(block, data.rows - first);
    std::iota(self.begin(), self.begin() + count, first);
    search_block(first, count, labels.data());
    assemble_knn_rows(data, params.metric, self.data(), count, labels.data(), k_search, graph.k,
                      graph.neighbors.data() + first * graph.k,
                      graph.similarity.data() + first * graph.k);
    progress.advance(count);
  }
  progress.finish();
}

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

void exact_graph(MatrixView data, const KnnParams& params, int k_search, KnnGraph& graph) {
  // Brute force straight over the caller's rows: an IndexFlat would copy the whole matrix, and
  // its search is these same FAISS functions.
  std::vector<float> norms = squared_norms(data, params.metric);
  const int64_t block = std::min<int64_t>(params.query_block_rows, data.rows);
  std::vector<float> distances(static_cast<size_t>(block * k_search));
  search_in_blocks(data, params, k_search, "knn exact", graph,
                   [&](int64_t first, int64_t count, int64_t* labels) {
                     flat_search(data, norms.empty() ? nullptr : norms.data(), data.row(first),
                                 count, k_search, params.metric, distances.data(), labels);
                   });
}

// Smallest nprobe (growing by half from the start value) whose recall on a seeded sample of rows
// reaches the target. Costs one exact search of the sample plus one IVF search per step: far
// less than guessing high for every row of the data set.
int tune_nprobe(faiss::IndexIVFFlat& index, MatrixView data, const KnnParams& params, int start) {
  const int64_t sample_count = std::min<int64_t>(data.rows, 400);
  std::vector<int64_t> sample = sample_rows(data.rows, sample_count, params.seed ^ 0x9e3779b97f4a7c15ULL);
  const int dims = static_cast<int>(data.cols);
  std::vector<float> queries(sample.size() * static_cast<size_t>(dims));
  for (size_t i = 0; i < sample.size(); ++i) {
    std::copy(data.row(sample[i]), data.row(sample[i]) + dims, queries.data() + i * dims);
  }
  const int width = std::min<int>(params.k + 1, static_cast<int>(data.rows));
  std::vector<float> distances(sample.size() * static_cast<size_t>(width));
  std::vector<int64_t> exact(sample.size() * static_cast<size_t>(width));
  std::vector<float> norms = squared_norms(data, params.metric);
  MatrixView query_view{queries.data(), static_cast<int64_t>(sample.size()), data.cols};
  flat_search(data, norms.empty() ? nullptr : norms.data(), query_view.data, query_view.rows,
              width, params.metric, distances.data(), exact.data());
  std::vector<int64_t> approx(exact.size());
  int nprobe = std::max(1, start);
  const int nlist = static_cast<int>(index.nlist);
  while (true) {
    index.nprobe = static_cast<size_t>(nprobe);
    index.search(query_view.rows, queries.data(), width, distances.data(), approx.data());
    int64_t hits = 0;
    for (size_t q = 0; q < sample.size(); ++q) {
      const int64_t* truth = exact.data() + q * width;
      const int64_t* found = approx.data() + q * width;
      for (int a = 0; a < width; ++a) {
        hits += std::find(found, found + width, truth[a]) != found + width;
      }
    }
    double recall = static_cast<double>(hits) / static_cast<double>(exact.size());
    if (recall >= kIvfTargetRecall || nprobe >= nlist) {
      log_info(fmt::format("knn: ivf nprobe={} reaches recall {:.3f} on {} tuning rows", nprobe,
                           recall, sample.size()));
      return nprobe;
    }
    // Steps of 1.5x: search time is linear in nprobe, so overshooting by 2x would double it.
    nprobe = std::min(nlist, std::max(nprobe + 1, nprobe * 3 / 2));
  }
}

void ivf_graph(MatrixView data, const KnnParams& params, IvfSettings& ivf, int k_search,
               KnnGraph& graph) {
  const int dims = static_cast<int>(data.cols);
  const faiss::MetricType metric = faiss_metric(params.metric);
  std::unique_ptr<faiss::Index> quantizer;
  if (metric == faiss::METRIC_L2) {
    quantizer = std::make_unique<faiss::IndexFlatL2>(dims);
  } else {
    quantizer = std::make_unique<faiss::IndexFlatIP>(dims);
  }
  faiss::IndexIVFFlat index(quantizer.get(), static_cast<size_t>(dims),
                            static_cast<size_t>(ivf.nlist), metric);
  index.cp.seed = static_cast<int>(params.seed % static_cast<uint64_t>(INT_MAX));
  // Unit rows are best split by direction: keep the centroids on the sphere as well.
  index.cp.spherical = params.metric == Metric::cosine;
  // Our own warning (resolve_ivf_settings) covers thin lists; FAISS's would print a raw line.
  index.cp.min_points_per_centroid = 1;

  std::vector<int64_t> train = sample_rows(data.rows, ivf.train_rows, params.seed);
  if (static_cast<int64_t>(train.size()) == data.rows) {
    index.train(data.rows, data.data);
  } else {
    std::vector<float> sample(train.size() * static_cast<size_t>(dims));
    for (size_t i = 0; i < train.size(); ++i) {
      std::copy(data.row(train[i]), data.row(train[i]) + dims,
                sample.data() + i * static_cast<size_t>(dims));
    }
    index.train(static_cast<int64_t>(train.size()), sample.data());
  }

  const int64_t block = std::min<int64_t>(params.query_block_rows, data.rows);
  {
    Progress progress("knn ivf add", data.rows);
    for (int64_t first = 0; first < data.rows; first += block) {
      const int64_t count = std::min(block, data.rows - first);
      index.add(count, data.row(first));
      progress.advance(count);
    }
  }
  if (ivf.tune_nprobe) ivf.nprobe = tune_nprobe(index, data, params, ivf.nprobe);
  index.nprobe = static_cast<size_t>(ivf.nprobe);
  std::vector<float> distances(static_cast<size_t>(block * k_search));
  search_in_blocks(data, params, k_search, "knn ivf", graph,
                   [&](int64_t first, int64_t count, int64_t* labels) {
                     index.search(count, data.row(first), k_search, distances.data(), labels);
                   });
}

void hnsw_graph(MatrixView data, const KnnParams& params, int k_search, KnnGraph& graph) {
  if (params.hnsw_m < 2) {
    throw InputError(fmt::format("kNN hnsw_m must be at least 2, got {}", params.hnsw_m));
  }
  if (params.hnsw_ef_construction < 1 || params.hnsw_ef_search < 1) {
    throw InputError(
        fmt::format("kNN hnsw_ef_construction and hnsw_ef_search must be at least 1, got {} and {}",
                    params.hnsw_ef_construction, params.hnsw_ef_search));
  }
  faiss::IndexHNSWFlat index(static_cast<int>(data.cols), params.hnsw_m,
                             faiss_metric(params.metric));
  index.hnsw.efConstruction = params.hnsw_ef_construction;
  const int64_t block = std::min<int64_t>(params.query_block_rows, data.rows);
  {
    Progress progress("knn hnsw add", data.rows);
    for (int64_t first = 0; first < data.rows; first += block) {
      const int64_t count = std::min(block, data.rows - first);
      index.add(count, data.row(first));
      progress.advance(count);
    }
  }
  // The beam must be at least as wide as the result list, or results are missing.
  index.hnsw.efSearch = std::max(params.hnsw_ef_search, k_search);
  std::vector<float> distances(static_cast<size_t>(block * k_search));
  search_in_blocks(data, params, k_search, "knn hnsw", graph,
                   [&](int64_t first, int64_t count, int64_t* labels) {
                     index.search(count, data.row(first), k_search, distances.data(), labels);
                   });
}

}  // namespace

KnnMode resolve_knn_mode(int64_t rows, const KnnParams& params) {
  if (params.mode != KnnMode::automatic) return params.mode;
  return rows <= params.auto_exact_max_rows ? KnnMode::exact : KnnMode::ivf;
}

IvfSettings resolve_ivf_settings(int64_t rows, const KnnParams& params) {
  if (params.ivf_nlist < 0 || params.ivf_nprobe < 0 || params.ivf_train_rows < 0) {
    throw InputError(fmt::format(
        "kNN IVF settings must not be negative (ivf_nlist={}, ivf_nprobe={}, ivf_train_rows={})",
        params.ivf_nlist, params.ivf_nprobe, params.ivf_train_rows));
  }
  IvfSettings out;
  const int64_t n = std::max<int64_t>(rows, 1);
  if (params.ivf_nlist > 0) {
    if (params.ivf_nlist > n) {
      throw InputError(
          fmt::format("kNN ivf_nlist={} exceeds the {} rows to index", params.ivf_nlist, rows));
    }
    out.nlist = params.ivf_nlist;
  } else {
    const int64_t by_size = std::llround(4.0 * std::sqrt(static_cast<double>(n)));
    const int64_t most = std::max<int64_t>(1, n / k_min_points_per_list);
    out.nlist = static_cast<int>(std::clamp<int64_t>(by_size, 1, std::min<int64_t>(most, INT_MAX)));
  }
  if (params.ivf_nprobe > 0) {
    out.nprobe = std::min(params.ivf_nprobe, out.nlist);
  } else {
    // An eighth of the lists: measured recall@32 of 0.98-0.99 on 20000 x 32 gaussian mixtures
    // (100 to 1000 clusters) where nlist/16 gave 0.955-0.97, still 8x less work than exact.
    // The starting point of the tuning: a few lists, grown until the recall target holds.
    out.nprobe = std::min(out.nlist, 8);
    out.tune_nprobe = true;
  }
  if (params.ivf_train_rows > 0) {
    out.train_rows = std::min<int64_t>(params.ivf_train_rows, n);
    if (out.train_rows < out.nlist) {
      throw InputError(
          fmt::format("kNN ivf_train_rows={} is below ivf_nlist={}: k-means needs "
                      "at least one training row per list",
                      params.ivf_train_rows, out.nlist));
    }
  } else {
    out.train_rows = std::min<int64_t>(n, std::max<int64_t>(64LL * out.nlist, 50000));
  }
  return out;
}

KnnGraph faiss_knn_graph(MatrixView data, const KnnParams& params, KnnReport* report) {
  const auto start = std::chrono::steady_clock::now();
  validate(data, params);
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
          exact_graph(data, params, k_search, graph);
          break;
        case KnnMode::ivf: {
          IvfSettings ivf = resolve_ivf_settings(data.rows, params);
          log_info(fmt::format("knn: ivf nlist={} nprobe={}, trained on {} of {} rows", ivf.nlist,
                               ivf.tune_nprobe ? std::string("auto") : std::to_string(ivf.nprobe),
                               ivf.train_rows, data.rows));
          if (ivf.train_rows < k_min_points_per_list * ivf.nlist) {
            log_warning(fmt::format(
                "knn: ivf trains {} lists on {} rows (under {} per list): lists will be uneven",
                ivf.nlist, ivf.train_rows, k_min_points_per_list));
          }
          ivf_graph(data, params, ivf, k_search, graph);
          local.ivf_nlist = ivf.nlist;
          local.ivf_nprobe = ivf.nprobe;
          break;
        }
        case KnnMode::hnsw:
          hnsw_graph(data, params, k_search, graph);
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

KnnGraph exact_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k,
                           Metric metric) {
  KnnParams params;
  params.k = k;
  params.metric = metric;
  validate(data, params);
  const int64_t n = static_cast<int64_t>(query_rows.size());
  for (int64_t row : query_rows) {
    if (row < 0 || row >= data.rows) {
      throw InputError(
          fmt::format("exact kNN query row {} is outside the {} data rows", row, data.rows));
    }
  }
  KnnGraph graph;
  graph.rows = n;
  graph.k = k;
  graph.neighbors.assign(static_cast<size_t>(n * k), -1);
  graph.similarity.assign(static_cast<size_t>(n * k), -std::numeric_limits<float>::infinity());
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
                        graph.neighbors.data() + first * k, graph.similarity.data() + first * k);
    }
  } catch (const faiss::FaissException& e) {
    throw RuntimeFailure(
        fmt::format("exact kNN of {} sampled rows failed in FAISS: {}", n, e.what()));
  }
  canonicalize_rows(graph);
  return graph;
}

}  // namespace unfriend
