// How a kNN search is set up from its parameters and the row count: the mode `automatic`
// stands for, and the IVF settings (lists, probes, training rows). One rule for every backend
// and for the memory plan.
#pragma once

#include <cstdint>

#include "host/core/backend.h"

namespace unfriend {

/// FAISS's k-means warns below this many training points per list; nlist is capped by it.
constexpr int64_t kMinPointsPerIvfList = 39;

/// The mode KnnMode::automatic stands for at `rows` rows: exact up to
/// params.auto_exact_max_rows, IVF above. Other modes are returned unchanged.
KnnMode resolve_knn_mode(int64_t rows, const KnnParams& params);

/// IVF-Flat settings actually used for a search of `rows` rows.
struct IvfSettings {
  int nlist = 1;
  int nprobe = 1;
  int64_t train_rows = 0;
  /// nprobe was not set: the search sets it to the smallest value at which a sample of rows
  /// finds kIvfTargetRecall of its exact neighbours (`nprobe` is then only a placeholder).
  bool tune_nprobe = false;
};

/// Recall a tuned IVF search aims for on its tuning sample: above the 0.95 the sweep promises,
/// with room for the sampling error of a few hundred rows (about +-0.005 at 400 rows x 33).
constexpr double kIvfTargetRecall = 0.96;

/// params' IVF values where set, else the defaults: nlist about 4*sqrt(rows) clamped to
/// [1, rows/39] (FAISS wants at least 39 training points per list); nprobe tuned during the
/// search (tune_nprobe) so that it adapts to how clustered the data is; train_rows
/// min(rows, max(40*nlist, 20000)). Throws InputError for values that cannot work (nlist > rows,
/// train_rows < nlist, negative values).
IvfSettings resolve_ivf_settings(int64_t rows, const KnnParams& params);

}  // namespace unfriend
