#include "host/cpu/density_groups.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "host/core/error.h"
#include "host/core/union_find.h"

namespace unfriend {

namespace {

[[noreturn]] void bad_neighbor(const KnnGraph& graph, int64_t row, int64_t neighbor) {
  throw InputError(fmt::format("kNN graph row {} lists neighbour {} but has only {} rows", row,
                               neighbor, graph.rows));
}

}  // namespace

double median_of(std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + mid);
  return 0.5 * (lower + upper);
}

DensityLabels cpu_density_labels(const KnnGraph& graph, const std::vector<float>& distances,
                                 const std::vector<float>& core_distance, double eps) {
  check_density_input(graph, distances, core_distance);
  const int64_t n = graph.rows;
  const int k = graph.k;
  DensityLabels out;
  out.core.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.core[i] = core_distance[i] <= eps ? 1 : 0;

  // Clusters: components of the core-core edges within eps.
  UnionFind sets(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t* nb = graph.neighbors_of(i);
    for (int j = 0; j < k; ++j) {
      const int64_t other = nb[j];
      if (other < 0) continue;
      if (other >= n) bad_neighbor(graph, i, other);
      if (out.core[i] && out.core[other] && distances[static_cast<size_t>(i * k + j)] <= eps) {
        sets.unite(i, other);
      }
    }
  }
  out.label = sets.labels();
  // Border rows: the cluster of the nearest core neighbour within eps. Reads only core labels,
  // which are final, so the order rows are visited in does not matter.
  for (int64_t i = 0; i < n; ++i) {
    if (out.core[i]) continue;
    int64_t joined = -1;
    for (int j = 0; j < k; ++j) {
      const size_t e = static_cast<size_t>(i * k + j);
      const int64_t other = graph.neighbors[e];
      // Rows are sorted by distance: nothing after padding or the first edge beyond eps counts.
      if (other < 0 || !(distances[e] <= eps)) break;
      if (out.core[other]) {
        joined = out.label[static_cast<size_t>(other)];
        break;
      }
    }
    out.label[static_cast<size_t>(i)] = joined;
  }
  return out;
}

GroupTable cpu_group_statistics(const KnnGraph& graph, const std::vector<int64_t>& label,
                                const GroupStatsOptions& options) {
  check_group_input(graph, label, options);
  const int64_t n = graph.rows;
  const int k = graph.k;
  const bool distances = !options.core_distance.empty();
  // Every neighbour a labelled row lists must exist, whatever the size of its group; the first
  // bad one in row order is reported (the same on every backend).
  for (int64_t i = 0; i < n; ++i) {
    if (label[i] < 0) continue;
    const int64_t* nb = graph.neighbors_of(i);
    for (int j = 0; j < k; ++j) {
      if (nb[j] >= n) bad_neighbor(graph, i, nb[j]);
    }
  }

  // Members grouped by label value (a counting sort: groups by increasing label, rows in
  // increasing order within a group).
  std::vector<int64_t> count(static_cast<size_t>(n) + 1, 0);
  for (int64_t i = 0; i < n; ++i) {
    if (label[i] >= 0) ++count[static_cast<size_t>(label[i]) + 1];
  }
  for (int64_t l = 0; l < n; ++l) count[l + 1] += count[l];
  std::vector<int64_t> members(static_cast<size_t>(count[n]));
  {
    std::vector<int64_t> cursor(count.begin(), count.end() - 1);
    for (int64_t i = 0; i < n; ++i) {
      if (label[i] >= 0) members[static_cast<size_t>(cursor[label[i]]++)] = i;
    }
  }

  GroupTable table;
  std::vector<double> internal, surround;
  std::vector<int64_t> halo;
  for (int64_t l = 0; l < n; ++l) {
    const int64_t begin = count[l], end = count[l + 1];
    if (begin == end) continue;
    ++table.groups;
    if (end - begin < options.min_size) continue;
    GroupStats g;
    g.label = l;
    g.size = end - begin;
    g.first_row = members[static_cast<size_t>(begin)];
    g.inside_similarity_min = std::numeric_limits<double>::infinity();
    internal.clear();
    halo.clear();
    for (int64_t p = begin; p < end; ++p) {
      const int64_t i = members[static_cast<size_t>(p)];
      if (!options.core.empty()) g.core_size += options.core[i];
      if (distances) internal.push_back(options.core_distance[i]);
      for (int j = 0; j < k; ++j) {
        const size_t e = static_cast<size_t>(i * k + j);
        const int64_t other = graph.neighbors[e];
        if (other < 0) continue;
        if (label[static_cast<size_t>(other)] == l) {
          const double s = graph.similarity[e];
          g.inside_similarity_sum += s;
          g.inside_similarity_min = std::min(g.inside_similarity_min, s);
          ++g.inside_edges;
        } else if (options.surround) {
          halo.push_back(other);
        }
      }
    }
    g.internal_median = median_of(internal);
    surround.clear();
    if (distances && options.surround) {
      std::sort(halo.begin(), halo.end());
      halo.erase(std::unique(halo.begin(), halo.end()), halo.end());
      for (int64_t h : halo) {
        const double d = options.core_distance[static_cast<size_t>(h)];
        if (std::isfinite(d)) surround.push_back(d);
      }
    }
    g.surround_rows = static_cast<int64_t>(surround.size());
    g.surround_median = median_of(surround);
    table.kept.push_back(g);
  }
  return table;
}

}  // namespace unfriend
