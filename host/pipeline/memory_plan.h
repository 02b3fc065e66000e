// The host memory a sweep holds, stage by stage, for --max-memory: worked out before anything
// is read, so that a run that cannot fit is refused up front (with the numbers) instead of
// dying hours in, and block sizes are shrunk where that is enough.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "host/core/backend.h"

namespace unfriend {

/// What the plan is made from: the input's shape and the settings that size the buffers.
struct MemoryPlanInput {
  int64_t rows = 0;
  int64_t cols = 0;
  int k = 32;
  Metric metric = Metric::cosine;
  KnnMode mode = KnnMode::exact;  // resolved: exact, ivf or hnsw
  /// The backend searches in device memory (Backend::knn_footprint): the host holds the rows,
  /// the graph and pinned staging of this size, and reads with one more block in flight.
  bool knn_on_device = false;
  double device_staging_bytes = 0;
  int threads = 1;               // CPU threads that hold per-thread buffers
  int64_t read_block_rows = 0;   // rows per input read block
  int64_t query_block_rows = 0;  // knn.query_block_rows (also the checkpoint unit size)
  int ivf_nlist = 0;             // resolved IVF settings (mode ivf)
  int ivf_nprobe = 0;            // 0: tuned at run time, planned at min(nlist, 64)
  int64_t ivf_train_rows = 0;
  int hnsw_m = 32;
  int64_t recall_rows = 0;  // approximate modes: rows checked against exact search
  bool write_graph = false;
  bool checkpoint = false;  // a unit copy is held while it is saved
  /// The features stay on the host through the graph stages: the cohesion test (and the
  /// hierarchy's coordination test) read them.
  bool features_after_knn = false;
  int64_t cohesion_queries = 0;    // rows searched by the cohesion test (0: test off)
  int cohesion_neighbors = 8;      // neighbours each of them is searched for (clusters.min_pts)
  int64_t exact_max_rows = 50000;  // knn.auto_exact_max_rows: cohesion searches exactly up to it
};

/// Bytes held at one stage, by what holds them.
struct MemoryStage {
  std::string name;
  std::vector<std::pair<std::string, double>> parts;
  double total() const;
  /// "features 24.4 MiB, graph 36.6 MiB, ..." (largest first).
  std::string describe() const;
};

struct MemoryPlan {
  std::vector<MemoryStage> stages;  // read, preprocess, knn, recall, groups, write
  int64_t read_block_rows = 0;
  int64_t query_block_rows = 0;
  const MemoryStage& peak() const;  // the stage holding the most
};

/// The plan for `input` as given.
MemoryPlan plan_memory(const MemoryPlanInput& input);

/// The plan with the largest block sizes (no larger than requested) whose peak fits
/// `limit_bytes`; blocks only shrink, down to a floor of 256 rows (or the row count). Throws
/// InputError naming `file` when even the smallest blocks do not fit: one line with the stage
/// that needs the most, its total and its parts, and the limit.
MemoryPlan fit_memory_plan(const MemoryPlanInput& input, int64_t limit_bytes,
                           const std::string& file);

/// "1.50 GiB", "12.0 MiB".
std::string human_bytes(double bytes);

/// The process's resident memory now (/proc/self/statm; 0 where it cannot be read): libraries,
/// caches and what is already allocated, which a plan adds to what it will allocate.
int64_t resident_bytes_now();

}  // namespace unfriend
