// The backend seam: the stages a GPU takes over. The CPU backend (host/cpu) fills it with FAISS
// and plain C++; the CUDA backend (cuda/) with our kernels, cuBLAS and Thrust. Everything else in
// the sweep (I/O, scoring, output) is shared host code, so both backends give the same outputs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/core/action_index.h"
#include "host/core/features.h"
#include "host/core/knn_graph.h"
#include "host/core/lockstep_match.h"
#include "host/core/lockstep_tokens.h"
#include "host/core/matrix.h"

namespace unfriend {

enum class KnnMode { automatic, exact, ivf, hnsw };
std::string to_string(KnnMode mode);
KnnMode knn_mode_from_string(const std::string& name);  // throws InputError

struct KnnParams {
  int k = 32;
  KnnMode mode = KnnMode::automatic;
  Metric metric = Metric::cosine;
  int64_t auto_exact_max_rows = 50000;  // automatic: exact up to this many rows, IVF above
  int64_t query_block_rows = 16384;     // rows searched per block (bounds the distance buffer)
  int ivf_nlist = 0;                    // 0: chosen from N
  int ivf_nprobe = 0;                   // 0: chosen from nlist
  int64_t ivf_train_rows = 0;           // 0: chosen from nlist
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

/// A piece of a kNN graph as a checkpoint stores it: finished rows (any order) and, for each, its
/// `width` entries. What the entries mean is up to the backend that made the unit (final
/// neighbours and similarities, or candidates); the plan string given to KnnCheckpoint::begin
/// names it, so a unit is only ever read back by the same kind of build.
struct KnnUnit {
  std::vector<int64_t> rows;       // graph rows held
  int width = 0;                   // entries per row
  std::vector<int64_t> neighbors;  // [rows.size() x width]
  std::vector<float> similarity;   // [rows.size() x width]
};

/// The hook that makes a long kNN build resumable and stoppable. The build splits its work into
/// numbered units whose results depend only on the input, the parameters and the unit number
/// (never on the thread count or on which units ran before in this process); it saves each
/// finished unit, skips units it can load, and checks stop_requested() between units. Passed
/// to Backend::knn_graph as an optional pointer: nullptr means no checkpoint. Calls come from
/// one thread at a time (a build that works in parallel serialises them).
class KnnCheckpoint {
 public:
  virtual ~KnnCheckpoint() = default;
  /// Called once per build before any unit: `plan` describes the units (backend, mode, unit
  /// size and anything else that fixes what a unit holds), `units` how many there are. A
  /// checkpoint made under another plan cannot be used: InputError saying why.
  virtual void begin(const std::string& plan, int64_t units) = 0;
  /// Whether unit `unit` is finished and saved (cheap: no data is read).
  virtual bool done(int64_t unit) const = 0;
  /// Reads a finished unit into `out`; false when it is not finished or cannot be read back (the
  /// build then computes it again).
  virtual bool load(int64_t unit, KnnUnit& out) = 0;
  /// Stores a finished unit durably before returning. RuntimeFailure when it cannot be written.
  virtual void save(int64_t unit, const KnnUnit& data) = 0;
  /// True once the build should stop at the next unit boundary (a signal arrived).
  virtual bool stop_requested() const = 0;
};

/// Thrown by a kNN build (or the sweep) that stopped early because
/// KnnCheckpoint::stop_requested() said so. Every unit finished before it is saved; the message
/// says how many.
class StopRequested : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// kNN-DBSCAN labels (Backend::density_labels).
struct DensityLabels {
  std::vector<uint8_t> core;   // per row: 1 when core
  std::vector<int64_t> label;  // per row: the smallest core row of its cluster, or -1 (noise)
};

struct GroupStatsOptions {
  int64_t min_size = 1;
  /// Per row (empty: no distance statistics): for internal_median and surround_median.
  std::vector<float> core_distance;
  /// Per row (empty: core_size stays 0).
  std::vector<uint8_t> core;
  /// Whether to collect the accounts around each group (surround_median).
  bool surround = false;
};

/// One group's statistics (Backend::group_statistics).
struct GroupStats {
  int64_t label = 0;
  int64_t size = 0;
  int64_t first_row = 0;  // smallest member row
  int64_t core_size = 0;
  /// kNN edges from a member to a member of the same group: count, sum and minimum of their
  /// similarities (sum in double; minimum +inf when there are none).
  int64_t inside_edges = 0;
  double inside_similarity_sum = 0;
  double inside_similarity_min = 0;
  /// Median core distance of the members (NaN without core distances).
  double internal_median = 0;
  /// Median finite core distance of the distinct rows outside the group that a member lists as
  /// a neighbour (NaN when there are none, or without core distances or options.surround).
  double surround_median = 0;
  int64_t surround_rows = 0;  // how many such rows had a finite core distance
};

struct GroupTable {
  int64_t groups = 0;            // distinct labels >= 0
  std::vector<GroupStats> kept;  // groups of at least min_size rows, by increasing label
};

/// A minimum spanning forest of the mutual-reachability graph on the kNN edges
/// (Backend::spanning_forest): at most rows - 1 edges, from < to, sorted by
/// forest_edge_before (host/core/mutual_reachability.h).
struct SpanningForest {
  std::vector<int64_t> from;
  std::vector<int64_t> to;
  std::vector<float> weight;  // mutual_reachability(edge distance, core distances)
  size_t size() const { return weight.size(); }
};

/// How a backend will run a sweep's kNN search, as the memory plan needs to know it: asked of
/// the backend, so that the plan names no backend.
struct KnnFootprint {
  KnnMode mode = KnnMode::exact;  // the mode the search will run
  /// The rows and the search live in device memory; the host holds the rows, the graph and
  /// pinned staging (host_staging_bytes), and reads with one more block in flight.
  bool on_device = false;
  double host_staging_bytes = 0;
};

/// How Backend::knn_of_rows searches: exactly, or in a seeded k-means partition of the data
/// rows (ivf_nlist lists, each query meeting the rows of its ivf_nprobe nearest lists).
struct RowsKnnParams {
  int k = 8;
  Metric metric = Metric::cosine;
  KnnMode mode = KnnMode::exact;  // exact or ivf
  int ivf_nlist = 1;
  int ivf_nprobe = 1;
  uint64_t seed = 42;
  /// Queries searched at once, which bounds the memory held (0: exact, the kNN default; ivf, all).
  int64_t query_block_rows = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  /// How knn_graph will search `rows` x `cols` rows under `params`.
  virtual KnnFootprint knn_footprint(int64_t rows, int64_t cols, const KnnParams& params) const = 0;

  /// kNN graph of `data` against itself, self-matches excluded, rows in canonical order
  /// (see canonicalize_rows). Exact duplicates of a row appear with their full similarity.
  /// With a checkpoint, finished units are saved to it and loaded from it, and the build throws
  /// StopRequested at the first unit boundary after checkpoint->stop_requested() turns true;
  /// the graph is the same with or without one, however often the build was stopped.
  virtual KnnGraph knn_graph(MatrixView data, const KnnParams& params, KnnReport* report,
                             KnnCheckpoint* checkpoint = nullptr) = 0;

  /// Connected components of the undirected graph made of the kNN edges (i, j) with
  /// similarity >= min_similarity whose two endpoints are both included (include[i] != 0; all
  /// rows when include is empty). Returns one label per row: the smallest row index of its
  /// component, or -1 for rows not included.
  virtual std::vector<int64_t> threshold_components(const KnnGraph& graph, float min_similarity,
                                                    const std::vector<uint8_t>& include) = 0;

  /// Reads, checks and preprocesses the features where this backend will search them (a GPU
  /// streams them to its memory). Returns false when it leaves that to the host path
  /// (prepare_features_on_host, the reference), which the CPU backend always does. Results are
  /// those of the host path: same rows kept, same statistics, same preprocessed values.
  virtual bool prepare_features(const RowSource& /*source*/, const PrepareOptions& /*options*/,
                                PreparedFeatures* /*out*/) {
    return false;
  }

  /// knn_graph of prepared features, wherever they are held.
  virtual KnnGraph knn_graph_of(const PreparedFeatures& features, const KnnParams& params,
                                KnnReport* report, KnnCheckpoint* checkpoint = nullptr) {
    return knn_graph(features.matrix.view(), params, report, checkpoint);
  }

  /// The k nearest rows of `data` (self excluded, canonical order, similarities exact in
  /// double) of each data row listed in query_rows: row q of the result is data row
  /// query_rows[q]. For searches of a few rows against many (the cohesion test): deterministic
  /// for a seed, whatever the thread count. InputError for rows outside the data or non-finite
  /// values.
  virtual KnnGraph knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows,
                               const RowsKnnParams& params) = 0;

  /// kNN-DBSCAN labelling on the graph: row i is core when core_distance[i] <= eps; clusters
  /// are the connected components of the kNN edges of distance <= eps between two core rows;
  /// a non-core row joins the cluster of its first (nearest) neighbour in row order that is
  /// core and within eps, scanning only while neighbours are within eps. `distances` has the
  /// graph's shape (+inf for padding, rows sorted by increasing distance).
  virtual DensityLabels density_labels(const KnnGraph& graph, const std::vector<float>& distances,
                                       const std::vector<float>& core_distance, double eps) = 0;

  /// Statistics of the groups of `label` (label[i] >= 0: the group of row i; -1: none) over
  /// the kNN graph. Groups of at least options.min_size rows get full statistics; smaller ones
  /// are only counted. A neighbour index past the end listed by any labelled row is an
  /// InputError naming the first such row in row order.
  virtual GroupTable group_statistics(const KnnGraph& graph, const std::vector<int64_t>& label,
                                      const GroupStatsOptions& options) = 0;

  /// The minimum spanning forest of the undirected graph whose edges are the kNN entries
  /// (i, j) with finite weight mutual_reachability(distances[i*k+j], core_distance[i],
  /// core_distance[j]); an edge listed in both directions counts at its smaller weight. Edges
  /// are ordered by forest_edge_before, which makes the forest unique. `distances` and
  /// `core_distance` as for density_labels.
  virtual SpanningForest spanning_forest(const KnnGraph& graph, const std::vector<float>& distances,
                                         const std::vector<float>& core_distance) = 0;

  /// MinHash signatures [accounts x options.hashes] of the accounts' token sets
  /// (host/core/lockstep_tokens.h: two tokens per action, the smallest hash per function);
  /// rows of accounts with eligible[a] == 0 are all ~0.
  virtual std::vector<uint64_t> lockstep_signatures(const ActionIndex& index,
                                                    const std::vector<uint8_t>& eligible,
                                                    const CandidateOptions& options) = 0;

  /// match_accounts (host/core/lockstep_match.h) of every pair of dense account indices.
  /// `matched(count)`, when given, is called as pairs are done (for progress).
  virtual std::vector<PairMatch> lockstep_match_pairs(
      const ActionIndex& index, const std::vector<AccountPair>& pairs, const LockstepRule& rule,
      const std::function<void(int64_t)>& matched = {}) = 0;
};

/// The shape checks of Backend::density_labels and Backend::group_statistics (InputError):
/// per-edge and per-row arrays of the graph's size, labels in [-1, rows). Neighbour indices
/// are checked by each backend as it reads them (the same message as threshold_components).
void check_density_input(const KnnGraph& graph, const std::vector<float>& distances,
                         const std::vector<float>& core_distance);
void check_group_input(const KnnGraph& graph, const std::vector<int64_t>& label,
                       const GroupStatsOptions& options);

enum class BackendKind { automatic, cpu, cuda };
std::string to_string(BackendKind kind);
BackendKind backend_kind_from_string(const std::string& name);  // throws InputError

struct BackendOptions {
  int threads = 0;               // CPU threads; 0: all cores
  int64_t gpu_memory_bytes = 0;  // cap on device memory; 0: a share of what is free
  int gpu_device = 0;
};

/// automatic: the CUDA backend when its module loads (host/backend/cuda_module_loader.h) and a
/// GPU is usable, else CPU; one log line says which, and why not CUDA. cuda without the module
/// or without a usable GPU throws InputError with a one-line reason.
std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendOptions& options);

}  // namespace unfriend
