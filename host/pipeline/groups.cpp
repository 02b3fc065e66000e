#include "host/pipeline/groups.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace unfriend {

namespace {

// Components of the kNN edges no longer than max_distance between included rows. Cosine and l2
// threshold the similarity directly (monotone in distance); inner_product goes through a graph
// whose similarity is the negated squared distance.
std::vector<int64_t> components_within(Backend& backend, const KnnGraph& graph,
                                       const std::vector<float>& distances, Metric metric,
                                       double max_distance, const std::vector<uint8_t>& include) {
  if (metric != Metric::inner_product) {
    return backend.threshold_components(graph, similarity_at_distance(metric, max_distance),
                                        include);
  }
  KnnGraph by_distance;
  by_distance.rows = graph.rows;
  by_distance.k = graph.k;
  by_distance.neighbors = graph.neighbors;
  by_distance.similarity.resize(distances.size());
  for (size_t e = 0; e < distances.size(); ++e) {
    by_distance.similarity[e] = -distances[e] * distances[e];
  }
  return backend.threshold_components(by_distance, similarity_at_distance(Metric::l2, max_distance),
                                      include);
}

// Rows grouped by label (labels >= 0), groups in order of first appearance of their smallest row.
struct Members {
  std::vector<int64_t> label_of_group;
  std::vector<int64_t> offsets;  // group g: rows[offsets[g], offsets[g+1])
  std::vector<int64_t> rows;
};

Members group_members(const std::vector<int64_t>& label) {
  Members m;
  std::vector<int64_t> group_index(label.size(), -1);  // label value -> group
  std::vector<int64_t> counts;
  for (size_t i = 0; i < label.size(); ++i) {
    int64_t l = label[i];
    if (l < 0) continue;
    if (group_index[static_cast<size_t>(l)] < 0) {
      group_index[static_cast<size_t>(l)] = static_cast<int64_t>(m.label_of_group.size());
      m.label_of_group.push_back(l);
      counts.push_back(0);
    }
    ++counts[static_cast<size_t>(group_index[static_cast<size_t>(l)])];
  }
  m.offsets.assign(counts.size() + 1, 0);
  for (size_t g = 0; g < counts.size(); ++g) m.offsets[g + 1] = m.offsets[g] + counts[g];
  m.rows.resize(static_cast<size_t>(m.offsets.back()));
  std::vector<int64_t> cursor(m.offsets.begin(), m.offsets.end() - 1);
  for (size_t i = 0; i < label.size(); ++i) {
    int64_t l = label[i];
    if (l < 0) continue;
    m.rows[static_cast<size_t>(cursor[static_cast<size_t>(group_index[static_cast<size_t>(l)])]++)] =
        static_cast<int64_t>(i);
  }
  return m;
}

// Orders the kept groups (kept[i] came from members group source[i]) with `before`, gives them
// ids 0, 1, ... in that order and writes each id into `label` for the group's members.
template <typename Group, typename Before>
std::vector<Group> rank_and_label(const std::vector<Group>& kept, const std::vector<size_t>& source,
                                  const Members& members, std::vector<int64_t>& label,
                                  Before before) {
  std::vector<size_t> order(kept.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return before(kept[a], kept[b]); });
  std::vector<Group> ranked;
  ranked.reserve(kept.size());
  for (size_t rank = 0; rank < order.size(); ++rank) {
    Group group = kept[order[rank]];
    group.id = static_cast<int64_t>(rank);
    const size_t g = source[order[rank]];
    for (int64_t p = members.offsets[g]; p < members.offsets[g + 1]; ++p) {
      label[static_cast<size_t>(members.rows[static_cast<size_t>(p)])] = group.id;
    }
    ranked.push_back(group);
  }
  return ranked;
}

double median_of(std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  double lower = *std::max_element(values.begin(), values.begin() + mid);
  return 0.5 * (lower + upper);
}

}  // namespace

DupGroups find_duplicate_groups(Backend& backend, const KnnGraph& graph,
                                const std::vector<float>& distances, Metric metric,
                                const DensityModel& model) {
  DupGroups result;
  result.label.assign(static_cast<size_t>(graph.rows), -1);
  std::vector<int64_t> component =
      components_within(backend, graph, distances, metric, model.duplicate_distance, {});
  Members members = group_members(component);
  const int k = graph.k;
  std::vector<DupGroup> groups;
  std::vector<size_t> source;
  for (size_t g = 0; g + 1 < members.offsets.size(); ++g) {
    int64_t size = members.offsets[g + 1] - members.offsets[g];
    if (size < 2) continue;
    DupGroup group;
    group.size = size;
    group.representative = members.label_of_group[g];
    double sum = 0, minimum = std::numeric_limits<double>::infinity();
    int64_t edges = 0;
    int64_t label = members.label_of_group[g];
    for (int64_t p = members.offsets[g]; p < members.offsets[g + 1]; ++p) {
      int64_t i = members.rows[static_cast<size_t>(p)];
      for (int j = 0; j < k; ++j) {
        int64_t nb = graph.neighbors[static_cast<size_t>(i * k + j)];
        if (nb < 0 || component[static_cast<size_t>(nb)] != label) continue;
        double s = graph.similarity[static_cast<size_t>(i * k + j)];
        sum += s;
        minimum = std::min(minimum, s);
        ++edges;
      }
    }
    group.mean_similarity = edges ? sum / edges : 0;
    group.min_similarity = edges ? minimum : 0;
    groups.push_back(group);
    source.push_back(g);
  }
  result.groups = rank_and_label(groups, source, members, result.label,
                                 [](const DupGroup& a, const DupGroup& b) {
                                   if (a.size != b.size) return a.size > b.size;
                                   return a.representative < b.representative;
                                 });
  return result;
}

Clusters find_clusters(Backend& backend, const KnnGraph& graph,
                       const std::vector<float>& distances, Metric metric,
                       const DensityModel& model, const SweepConfig& config) {
  const int64_t n = graph.rows;
  const int k = graph.k;
  Clusters result;
  result.label.assign(static_cast<size_t>(n), -1);
  if (n == 0 || !(model.eps > 0)) return result;

  // kNN-DBSCAN: core accounts have min_pts neighbours within eps; clusters are the components
  // of core-core edges within eps; a non-core account joins the cluster of its nearest core
  // neighbour within eps (a border account).
  std::vector<uint8_t> core(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) core[i] = model.core_distance[i] <= model.eps ? 1 : 0;
  std::vector<int64_t> label =
      components_within(backend, graph, distances, metric, model.eps, core);
  for (int64_t i = 0; i < n; ++i) {
    if (core[i]) continue;
    for (int j = 0; j < k; ++j) {
      size_t e = static_cast<size_t>(i * k + j);
      int64_t nb = graph.neighbors[e];
      if (nb < 0 || distances[e] > model.eps) break;  // rows are sorted: nothing closer follows
      if (core[static_cast<size_t>(nb)]) {
        label[static_cast<size_t>(i)] = label[static_cast<size_t>(nb)];
        break;
      }
    }
  }

  Members members = group_members(label);
  const int64_t min_size =
      config.clusters.min_size > 0 ? config.clusters.min_size : model.min_pts + 1;
  const double genuine_distance = std::exp(model.genuine_log_mode);
  std::vector<Cluster> kept;
  std::vector<size_t> source;
  std::vector<double> internal, surround;
  std::vector<int64_t> halo;
  for (size_t g = 0; g + 1 < members.offsets.size(); ++g) {
    ++result.candidates;
    int64_t size = members.offsets[g + 1] - members.offsets[g];
    if (size < min_size) {
      ++result.rejected_small;
      continue;
    }
    int64_t cluster_label = members.label_of_group[g];
    Cluster c;
    c.size = size;
    c.representative = cluster_label;
    internal.clear();
    halo.clear();
    double sum = 0;
    int64_t edges = 0;
    for (int64_t p = members.offsets[g]; p < members.offsets[g + 1]; ++p) {
      int64_t i = members.rows[static_cast<size_t>(p)];
      c.core_size += core[static_cast<size_t>(i)];
      c.representative = std::min(c.representative, i);
      internal.push_back(model.core_distance[static_cast<size_t>(i)]);
      for (int j = 0; j < k; ++j) {
        size_t e = static_cast<size_t>(i * k + j);
        int64_t nb = graph.neighbors[e];
        if (nb < 0) continue;
        if (label[static_cast<size_t>(nb)] == cluster_label) {
          sum += graph.similarity[e];
          ++edges;
        } else {
          halo.push_back(nb);
        }
      }
    }
    std::sort(halo.begin(), halo.end());
    halo.erase(std::unique(halo.begin(), halo.end()), halo.end());
    surround.clear();
    for (int64_t h : halo) {
      double d = model.core_distance[static_cast<size_t>(h)];
      if (std::isfinite(d)) surround.push_back(d);
    }
    c.mean_similarity = edges ? sum / edges : 0;
    c.internal_distance = median_of(internal);
    // An isolated cluster (no outside neighbours) is measured against the genuine population.
    c.surround_distance = surround.empty() ? genuine_distance : median_of(surround);
    c.tightness = c.internal_distance > 0
                      ? c.surround_distance / c.internal_distance
                      : std::numeric_limits<double>::infinity();
    c.score = model.anomaly(c.internal_distance);
    if (c.internal_distance <= 0) c.score = model.anomaly(0);
    c.kind = c.internal_distance <= model.duplicate_distance ? "template_farm" : "click_farm";
    if (c.tightness < config.clusters.min_tightness) {
      ++result.rejected_loose;
      continue;
    }
    kept.push_back(c);
    source.push_back(g);
  }

  result.clusters = rank_and_label(kept, source, members, result.label,
                                   [](const Cluster& a, const Cluster& b) {
                                     if (a.score != b.score) return a.score > b.score;
                                     if (a.size != b.size) return a.size > b.size;
                                     return a.representative < b.representative;
                                   });
  return result;
}

}  // namespace unfriend
