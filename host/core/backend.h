// The backend seam: the stages a GPU takes over. The CPU backend (host/cpu) fills it with FAISS
// and plain C++; the CUDA backend (cuda/) with our kernels, cuBLAS and Thrust. Everything else in
// the sweep (I/O, scoring, output) is shared host code, so both backends give the same outputs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

enum class KnnMode { automatic, exact, ivf, hnsw };
std::string to_string(KnnMode mode);
KnnMode knn_mode_from_string(const std::string& name);  // throws InputError

struct KnnParams {
  int k = 32;
  KnnMode mode = KnnMode::automatic;
  Metric metric = Metric::cosine;
  int64_t auto_exact_max_rows = 100000;  // automatic: exact up to this many rows, IVF above
  int64_t query_block_rows = 16384;      // rows searched per block (bounds the distance buffer)
  int ivf_nlist = 0;                     // 0: chosen from N
  int ivf_nprobe = 0;                    // 0: chosen from nlist
  int64_t ivf_train_rows = 0;            // 0: chosen from nlist
  int hnsw_m = 32;
  int hnsw_ef_construction = 80;
  int hnsw_ef_search = 128;
  uint64_t seed = 42;
};

/// What a kNN build reports besides the graph.
struct KnnReport {
  KnnMode mode_used = KnnMode::exact;
  int ivf_nlist = 0;
  int ivf_nprobe = 0;
  double seconds = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  /// kNN graph of `data` against itself, self-matches excluded, rows in canonical order
  /// (see canonicalize_rows). Exact duplicates of a row appear with their full similarity.
  virtual KnnGraph knn_graph(MatrixView data, const KnnParams& params, KnnReport* report) = 0;

  /// Connected components of the undirected graph made of the kNN edges (i, j) with
  /// similarity >= min_similarity whose two endpoints are both included (include[i] != 0; all
  /// rows when include is empty). Returns one label per row: the smallest row index of its
  /// component, or -1 for rows not included.
  virtual std::vector<int64_t> threshold_components(const KnnGraph& graph, float min_similarity,
                                                    const std::vector<uint8_t>& include) = 0;
};

enum class BackendKind { automatic, cpu, cuda };
std::string to_string(BackendKind kind);
BackendKind backend_kind_from_string(const std::string& name);  // throws InputError

struct BackendOptions {
  int threads = 0;                 // CPU threads; 0: all cores
  int64_t gpu_memory_bytes = 0;    // cap on device memory; 0: a share of what is free
  int gpu_device = 0;
};

/// automatic: the CUDA backend when one is built and a GPU is usable (logs which), else CPU.
/// cuda without a usable GPU throws InputError with a one-line reason.
std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendOptions& options);

}  // namespace unfriend
