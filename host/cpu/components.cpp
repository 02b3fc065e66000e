#include "host/cpu/components.h"

#include <fmt/format.h>

#include "host/core/error.h"
#include "host/core/union_find.h"

namespace unfriend {

std::vector<int64_t> cpu_threshold_components(const KnnGraph& graph, float min_similarity,
                                              const std::vector<uint8_t>& include) {
  const int64_t rows = graph.rows;
  const int k = graph.k;
  check_components_input(graph, include);
  auto included = [&](int64_t i) { return include.empty() || include[static_cast<size_t>(i)]; };

  UnionFind sets(rows);
  for (int64_t i = 0; i < rows; ++i) {
    if (!included(i)) continue;
    const int64_t* nb = graph.neighbors_of(i);
    const float* sim = graph.similarity_of(i);
    for (int j = 0; j < k; ++j) {
      int64_t other = nb[j];
      if (other < 0) continue;  // padding
      if (other >= rows) {
        throw InputError(fmt::format("kNN graph row {} lists neighbour {} but has only {} rows", i,
                                     other, rows));
      }
      // Written as !(sim < threshold) would let NaN through; a NaN similarity is no edge.
      if (sim[j] >= min_similarity && included(other)) sets.unite(i, other);
    }
  }
  std::vector<int64_t> labels = sets.labels();
  for (int64_t i = 0; i < rows; ++i) {
    if (!included(i)) labels[static_cast<size_t>(i)] = -1;
  }
  return labels;
}

}  // namespace unfriend
