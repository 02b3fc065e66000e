#include "host/cpu/knn_rows.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "host/cpu/similarity.h"

namespace unfriend {

void assemble_knn_rows(MatrixView data, Metric metric, const int64_t* self_rows, int64_t n,
                       const int64_t* candidates, int k_search, int k, int64_t* out_neighbors,
                       float* out_similarity) {
  const float pad_similarity = -std::numeric_limits<float>::infinity();
#pragma omp parallel
  {
    // Similarities are rounded to float before sorting: the canonical order is on the values
    // stored (float desc, index asc), so two neighbours whose doubles differ below float
    // precision are ordered, and cut at k, by index.
    std::vector<std::pair<float, int64_t>> kept;
    kept.reserve(static_cast<size_t>(k_search));
#pragma omp for schedule(static)
    for (int64_t q = 0; q < n; ++q) {
      const int64_t self = self_rows[q];
      const int64_t* cand = candidates + q * k_search;
      kept.clear();
      for (int j = 0; j < k_search; ++j) {
        int64_t other = cand[j];
        if (other < 0 || other >= data.rows || other == self) continue;
        kept.emplace_back(
            static_cast<float>(pair_similarity(data.row(self), data.row(other), data.cols, metric)),
            other);
      }
      std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first > b.first;
        return a.second < b.second;
      });
      // Equal labels carry equal scores, so after the sort any repeat sits next to its twin.
      kept.erase(std::unique(kept.begin(), kept.end(),
                             [](const auto& a, const auto& b) { return a.second == b.second; }),
                 kept.end());
      int64_t* nb = out_neighbors + q * k;
      float* sim = out_similarity + q * k;
      const int filled = static_cast<int>(std::min<size_t>(kept.size(), static_cast<size_t>(k)));
      for (int j = 0; j < filled; ++j) {
        nb[j] = kept[static_cast<size_t>(j)].second;
        sim[j] = kept[static_cast<size_t>(j)].first;
      }
      for (int j = filled; j < k; ++j) {
        nb[j] = -1;
        sim[j] = pad_similarity;
      }
    }
  }
}

}  // namespace unfriend
