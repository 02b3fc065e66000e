#include "host/cpu/knn_search_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "host/core/knn_input.h"

namespace unfriend {

namespace {

// Candidates searched beyond k+1. The search scores in float, so two neighbours within a few
// ulps can swap places at the cut. Rescoring a few extra candidates in double and cutting after
// that gives the canonical kept set; only when more than this many candidates sit within float
// rounding of the cut does the exact search scan the row against all rows (knn_rows.h). 12, not
// 4: the members of a tight click farm of 1,000 (the synth's) are that close at rank 32, and
// with 4 about 2,000 of 100,000 rows paid the scan, 15% of the search's time; with 12, under 50.
constexpr int64_t kRescoreMargin = 12;

}  // namespace

int search_width(int64_t rows, int k) {
  // k+1 so that the row itself, which every search finds, can be removed; plus the margin.
  return static_cast<int>(std::min<int64_t>(static_cast<int64_t>(k) + 1 + kRescoreMargin, rows));
}

void validate_knn_data(MatrixView data, const KnnParams& params) {
  check_knn_input(data.rows, data.cols, data.data != nullptr, params);
  if (data.rows == 0) return;
  const int64_t total = data.rows * data.cols;
  int64_t first_bad = total;
#pragma omp parallel for reduction(min : first_bad) schedule(static)
  for (int64_t i = 0; i < total; ++i) {
    if (!std::isfinite(data.data[i]) && i < first_bad) first_bad = i;
  }
  if (first_bad < total) throw_not_finite(first_bad, data.cols, data.data[first_bad]);
}

std::string knn_plan_prefix(const std::string& mode, MatrixView data, const KnnParams& params,
                            int k_search) {
  return fmt::format("cpu {}: {} x {} rows, k={} (searching {}), metric {}", mode, data.rows,
                     data.cols, params.k, k_search, to_string(params.metric));
}

}  // namespace unfriend
