#include "host/core/knn_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "host/core/backend.h"
#include "host/core/error.h"

namespace unfriend {

std::string to_string(Metric metric) {
  switch (metric) {
    case Metric::cosine:
      return "cosine";
    case Metric::inner_product:
      return "inner_product";
    case Metric::l2:
      return "l2";
  }
  return "?";
}

Metric metric_from_string(const std::string& name) {
  if (name == "cosine") return Metric::cosine;
  if (name == "inner_product" || name == "ip") return Metric::inner_product;
  if (name == "l2") return Metric::l2;
  throw InputError("unknown metric '" + name + "' (expected cosine, inner_product or l2)");
}

std::string to_string(KnnMode mode) {
  switch (mode) {
    case KnnMode::automatic:
      return "auto";
    case KnnMode::exact:
      return "exact";
    case KnnMode::ivf:
      return "ivf";
    case KnnMode::hnsw:
      return "hnsw";
  }
  return "?";
}

KnnMode knn_mode_from_string(const std::string& name) {
  if (name == "auto") return KnnMode::automatic;
  if (name == "exact") return KnnMode::exact;
  if (name == "ivf") return KnnMode::ivf;
  if (name == "hnsw") return KnnMode::hnsw;
  throw InputError("unknown kNN mode '" + name + "' (expected auto, exact, ivf or hnsw)");
}

std::string to_string(BackendKind kind) {
  switch (kind) {
    case BackendKind::automatic:
      return "auto";
    case BackendKind::cpu:
      return "cpu";
    case BackendKind::cuda:
      return "cuda";
  }
  return "?";
}

BackendKind backend_kind_from_string(const std::string& name) {
  if (name == "auto") return BackendKind::automatic;
  if (name == "cpu") return BackendKind::cpu;
  if (name == "cuda") return BackendKind::cuda;
  throw InputError("unknown backend '" + name + "' (expected auto, cpu or cuda)");
}

void check_components_input(const KnnGraph& graph, const std::vector<uint8_t>& include) {
  const int64_t rows = graph.rows;
  const int k = graph.k;
  if (rows < 0 || k < 0 || graph.neighbors.size() != static_cast<size_t>(rows * k) ||
      graph.similarity.size() != static_cast<size_t>(rows * k)) {
    throw InputError(fmt::format(
        "kNN graph is malformed: {} rows x k={} but {} neighbour and {} similarity entries", rows,
        k, graph.neighbors.size(), graph.similarity.size()));
  }
  if (!include.empty() && include.size() != static_cast<size_t>(rows)) {
    throw InputError(fmt::format("include mask has {} entries for a kNN graph of {} rows",
                                 include.size(), rows));
  }
}

void check_neighbor_indices(const KnnGraph& graph) {
  for (int64_t i = 0; i < graph.rows; ++i) {
    for (int j = 0; j < graph.k; ++j) {
      const int64_t other = graph.neighbors[static_cast<size_t>(i * graph.k + j)];
      if (other >= graph.rows) {
        throw InputError(fmt::format("kNN graph row {} lists neighbour {} but has only {} rows", i,
                                     other, graph.rows));
      }
    }
  }
}

void check_density_input(const KnnGraph& graph, const std::vector<float>& distances,
                         const std::vector<float>& core_distance) {
  check_components_input(graph, {});
  if (distances.size() != graph.neighbors.size()) {
    throw InputError(fmt::format("edge distances have {} entries for a kNN graph of {} x {}",
                                 distances.size(), graph.rows, graph.k));
  }
  if (core_distance.size() != static_cast<size_t>(graph.rows)) {
    throw InputError(fmt::format("core distances have {} entries for a kNN graph of {} rows",
                                 core_distance.size(), graph.rows));
  }
}

void check_group_input(const KnnGraph& graph, const std::vector<int64_t>& label,
                       const GroupStatsOptions& options) {
  check_components_input(graph, options.core);
  const int64_t rows = graph.rows;
  if (label.size() != static_cast<size_t>(rows)) {
    throw InputError(
        fmt::format("group labels have {} entries for a kNN graph of {} rows", label.size(), rows));
  }
  if (!options.core_distance.empty() && options.core_distance.size() != static_cast<size_t>(rows)) {
    throw InputError(fmt::format("core distances have {} entries for a kNN graph of {} rows",
                                 options.core_distance.size(), rows));
  }
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t l = label[static_cast<size_t>(i)];
    if (l < -1 || l >= rows) {
      throw InputError(fmt::format("group label {} of row {} is outside [-1, {})", l, i, rows));
    }
  }
}

void canonicalize_rows(KnnGraph& graph) {
  const int k = graph.k;
  std::vector<int> order(k);
  std::vector<int64_t> ids(k);
  std::vector<float> sims(k);
  for (int64_t row = 0; row < graph.rows; ++row) {
    int64_t* nb = graph.neighbors.data() + row * k;
    float* sim = graph.similarity.data() + row * k;
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      bool pad_a = nb[a] < 0, pad_b = nb[b] < 0;
      if (pad_a != pad_b) return pad_b;  // padding last
      if (pad_a) return false;
      if (sim[a] != sim[b]) return sim[a] > sim[b];
      return nb[a] < nb[b];
    });
    for (int j = 0; j < k; ++j) {
      ids[j] = nb[order[j]];
      sims[j] = ids[j] < 0 ? -std::numeric_limits<float>::infinity() : sim[order[j]];
    }
    std::copy(ids.begin(), ids.end(), nb);
    std::copy(sims.begin(), sims.end(), sim);
  }
}

}  // namespace unfriend
