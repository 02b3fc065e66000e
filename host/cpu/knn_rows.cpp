#include "host/cpu/knn_rows.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "host/cpu/score_tile.h"
#include "host/cpu/similarity.h"

namespace unfriend {

namespace {

bool canonical_before(const std::pair<float, int64_t>& a, const std::pair<float, int64_t>& b) {
  if (a.first != b.first) return a.first > b.first;
  return a.second < b.second;
}

double squared_norm(const float* row, int64_t dims) {
  double s = 0;
  for (int64_t d = 0; d < dims; ++d) s += static_cast<double>(row[d]) * row[d];
  return s;
}

// Whether a row the search did not return could score within the search's float rounding of
// the k-th kept neighbour: the bound is a few ulps per dimension of the magnitudes a similarity
// is made of (|a||b| for dot products, |a|^2 + |b|^2 for squared distances).
bool cut_is_ambiguous(MatrixView data, Metric metric, int64_t self,
                      const std::vector<std::pair<float, int64_t>>& kept, int k) {
  if (static_cast<int>(kept.size()) <= k) return true;  // the search may have run short
  double query = squared_norm(data.row(self), data.cols), widest = 0;
  for (const auto& [sim, other] : kept)
    widest = std::max(widest, squared_norm(data.row(other), data.cols));
  const double scale = metric == Metric::l2 ? query + widest : std::sqrt(query * widest);
  const double slack = 4.0 * static_cast<double>(data.cols + 8) * 0x1p-24 * std::max(scale, 1e-30);
  return static_cast<double>(kept[static_cast<size_t>(k) - 1].first) - kept.back().first <= slack;
}

// The canonical k neighbours of `self` against every row. `kept` holds the best found so far:
// every row of the true top k scores at least its k-th, so a float scan of all rows (within
// float_similarity_slack of the exact value) picks the few that can, and only those are scored
// exactly. `similarity` and `norms` are scratch of one float per row.
void scan_all_rows(MatrixView data, Metric metric, int64_t self, int k,
                   std::vector<std::pair<float, int64_t>>& kept, std::vector<float>& similarity,
                   std::vector<float>& norms) {
  const bool bounded = static_cast<int>(kept.size()) >= k;
  const double floor = bounded ? static_cast<double>(kept[static_cast<size_t>(k) - 1].first) : 0.0;
  similarity.resize(static_cast<size_t>(data.rows));
  norms.resize(static_cast<size_t>(data.rows));
  if (bounded) float_similarities_of_row(data, self, metric, similarity.data(), norms.data());
  const double self_norm = bounded ? static_cast<double>(norms[static_cast<size_t>(self)]) : 0.0;
  kept.clear();
  for (int64_t other = 0; other < data.rows; ++other) {
    if (other == self) continue;
    if (bounded) {
      const double slack =
          float_similarity_slack(self_norm, norms[static_cast<size_t>(other)], data.cols, metric);
      if (static_cast<double>(similarity[static_cast<size_t>(other)]) < floor - 2.0 * slack) {
        continue;
      }
    }
    const std::pair<float, int64_t> entry{
        static_cast<float>(pair_similarity(data.row(self), data.row(other), data.cols, metric)),
        other};
    if (static_cast<int>(kept.size()) < k) {
      kept.push_back(entry);
      std::push_heap(kept.begin(), kept.end(), canonical_before);
    } else if (canonical_before(entry, kept.front())) {
      std::pop_heap(kept.begin(), kept.end(), canonical_before);
      kept.back() = entry;
      std::push_heap(kept.begin(), kept.end(), canonical_before);
    }
  }
  std::sort(kept.begin(), kept.end(), canonical_before);
}

}  // namespace

void assemble_knn_rows(MatrixView data, Metric metric, const int64_t* self_rows, int64_t n,
                       const int64_t* candidates, int k_search, int k, int64_t* out_neighbors,
                       float* out_similarity, bool complete_ties) {
  const float pad_similarity = -std::numeric_limits<float>::infinity();
#pragma omp parallel
  {
    // Similarities are rounded to float before sorting: the canonical order is on the values
    // stored (float desc, index asc), so two neighbours whose doubles differ below float
    // precision are ordered, and cut at k, by index.
    std::vector<std::pair<float, int64_t>> kept;
    std::vector<float> scan_similarity, scan_norms;
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
      std::sort(kept.begin(), kept.end(), canonical_before);
      // Equal labels carry equal scores, so after the sort any repeat sits next to its twin.
      kept.erase(std::unique(kept.begin(), kept.end(),
                             [](const auto& a, const auto& b) { return a.second == b.second; }),
                 kept.end());
      if (complete_ties && k > 0 && static_cast<int64_t>(kept.size()) < data.rows - 1 &&
          cut_is_ambiguous(data, metric, self, kept, k)) {
        scan_all_rows(data, metric, self, k, kept, scan_similarity, scan_norms);
      }
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
