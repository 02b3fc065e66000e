#include "cuda/host_rescore.h"

#include <algorithm>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

#include "cuda/parallel_rows.h"
#include "host/cpu/similarity.h"

namespace unfriend::gpu {

void rescore_on_host(MatrixView data, Metric metric, int64_t first_row, int64_t count,
                     const int32_t* candidates, int queue_length, int k, int64_t* out_neighbors,
                     float* out_similarity, int threads) {
  parallel_rows(count, threads, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<float, int64_t>> kept;
    kept.reserve(static_cast<size_t>(queue_length));
    for (int64_t q = begin; q < end; ++q) {
      const float* query = data.row(first_row + q);
      const int32_t* cand = candidates + q * queue_length;
      kept.clear();
      for (int j = 0; j < queue_length; ++j) {
        const int64_t other = cand[j];
        if (other < 0 || other >= data.rows) continue;
        kept.emplace_back(
            static_cast<float>(pair_similarity(query, data.row(other), data.cols, metric)), other);
      }
      const size_t filled = std::min(kept.size(), static_cast<size_t>(k));
      std::partial_sort(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(filled),
                        kept.end(), [](const auto& a, const auto& b) {
                          if (a.first != b.first) return a.first > b.first;
                          return a.second < b.second;
                        });
      int64_t* nb = out_neighbors + q * k;
      float* sim = out_similarity + q * k;
      for (size_t j = 0; j < filled; ++j) {
        nb[j] = kept[j].second;
        sim[j] = kept[j].first;
      }
      for (int j = static_cast<int>(filled); j < k; ++j) {
        nb[j] = -1;
        sim[j] = -std::numeric_limits<float>::infinity();
      }
    }
  });
}

}  // namespace unfriend::gpu
