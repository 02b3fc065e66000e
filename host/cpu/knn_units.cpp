#include "host/cpu/knn_units.h"

#include <fmt/format.h>

#include <algorithm>

namespace unfriend {

std::string units_saved(const KnnCheckpoint& checkpoint, int64_t units) {
  int64_t saved = 0;
  for (int64_t u = 0; u < units; ++u) saved += checkpoint.done(u);
  return fmt::format("{} of {} kNN units saved", saved, units);
}

bool unit_fits(const KnnUnit& unit, const int64_t* rows, int64_t count, const KnnGraph& graph) {
  const size_t cells = static_cast<size_t>(count) * static_cast<size_t>(graph.k);
  if (unit.width != graph.k || unit.rows.size() != static_cast<size_t>(count) ||
      unit.neighbors.size() != cells || unit.similarity.size() != cells ||
      !std::equal(unit.rows.begin(), unit.rows.end(), rows)) {
    return false;
  }
  return std::all_of(unit.neighbors.begin(), unit.neighbors.end(),
                     [&](int64_t nb) { return nb >= -1 && nb < graph.rows; });
}

void unit_to_graph(const KnnUnit& unit, KnnGraph& graph) {
  const size_t k = static_cast<size_t>(graph.k);
  for (size_t i = 0; i < unit.rows.size(); ++i) {
    const size_t row = static_cast<size_t>(unit.rows[i]);
    std::copy_n(unit.neighbors.data() + i * k, k, graph.neighbors.data() + row * k);
    std::copy_n(unit.similarity.data() + i * k, k, graph.similarity.data() + row * k);
  }
}

void graph_to_unit(const KnnGraph& graph, const int64_t* rows, int64_t count, KnnUnit& unit) {
  const size_t k = static_cast<size_t>(graph.k);
  unit.rows.assign(rows, rows + count);
  unit.width = graph.k;
  unit.neighbors.resize(static_cast<size_t>(count) * k);
  unit.similarity.resize(static_cast<size_t>(count) * k);
  for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
    const size_t row = static_cast<size_t>(rows[i]);
    std::copy_n(graph.neighbors.data() + row * k, k, unit.neighbors.data() + i * k);
    std::copy_n(graph.similarity.data() + row * k, k, unit.similarity.data() + i * k);
  }
}

}  // namespace unfriend
