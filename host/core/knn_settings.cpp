#include "host/core/knn_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "host/core/error.h"

namespace unfriend {

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
    const int64_t most = std::max<int64_t>(1, n / kMinPointsPerIvfList);
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
    out.train_rows = std::min<int64_t>(n, std::max<int64_t>(40LL * out.nlist, 20000));
  }
  return out;
}

}  // namespace unfriend
