#include "host/pipeline/groups.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

// Orders the kept groups with `before`, gives them ids 0, 1, ... in that order, and relabels
// every row from its group label (label_of(group) for a kept group) to that id; rows of groups
// not kept become -1.
template <typename Group, typename LabelOf, typename Before>
std::vector<Group> rank_and_label(std::vector<Group> kept, const std::vector<int64_t>& group_label,
                                  std::vector<int64_t>& label, LabelOf label_of, Before before) {
  std::sort(kept.begin(), kept.end(), before);
  std::vector<int64_t> id_of_label(group_label.size(), -1);
  for (size_t rank = 0; rank < kept.size(); ++rank) {
    const int64_t group = label_of(kept[rank]);  // before the id is overwritten
    kept[rank].id = static_cast<int64_t>(rank);
    id_of_label[static_cast<size_t>(group)] = kept[rank].id;
  }
  for (size_t i = 0; i < group_label.size(); ++i) {
    label[i] = group_label[i] >= 0 ? id_of_label[static_cast<size_t>(group_label[i])] : -1;
  }
  return kept;
}

}  // namespace

DupGroups find_duplicate_groups(Backend& backend, const KnnGraph& graph,
                                const std::vector<float>& distances, Metric metric,
                                const DensityModel& model) {
  DupGroups result;
  result.label.assign(static_cast<size_t>(graph.rows), -1);
  const std::vector<int64_t> component =
      components_within(backend, graph, distances, metric, model.duplicate_distance, {});
  GroupStatsOptions options;
  options.min_size = 2;
  const GroupTable table = backend.group_statistics(graph, component, options);
  std::vector<DupGroup> groups;
  for (const GroupStats& stats : table.kept) {
    DupGroup group;
    group.size = stats.size;
    group.representative = stats.first_row;
    group.mean_similarity =
        stats.inside_edges ? stats.inside_similarity_sum / stats.inside_edges : 0;
    group.min_similarity = stats.inside_edges ? stats.inside_similarity_min : 0;
    groups.push_back(group);
  }
  // A duplicate group's label is its smallest row, its representative.
  result.groups = rank_and_label(
      std::move(groups), component, result.label,
      [](const DupGroup& g) { return g.representative; },
      [](const DupGroup& a, const DupGroup& b) {
        if (a.size != b.size) return a.size > b.size;
        return a.representative < b.representative;
      });
  return result;
}

Clusters find_clusters(Backend& backend, const KnnGraph& graph,
                       const std::vector<float>& distances, Metric /*metric*/,
                       const DensityModel& model, const SweepConfig& config) {
  const int64_t n = graph.rows;
  Clusters result;
  result.label.assign(static_cast<size_t>(n), -1);
  if (n == 0 || !(model.eps > 0)) return result;

  // kNN-DBSCAN on the backend: core rows, clusters of core rows, border rows attached.
  DensityLabels density = backend.density_labels(graph, distances, model.core_distance, model.eps);

  GroupStatsOptions options;
  options.min_size = config.clusters.min_size > 0 ? config.clusters.min_size : model.min_pts + 1;
  options.core_distance = model.core_distance;
  options.core = std::move(density.core);
  options.surround = true;
  const GroupTable table = backend.group_statistics(graph, density.label, options);
  result.candidates = table.groups;
  result.rejected_small = table.groups - static_cast<int64_t>(table.kept.size());

  const double genuine_distance = std::exp(model.genuine_log_mode);
  std::vector<Cluster> kept;
  std::vector<int64_t> label_of_cluster;
  for (const GroupStats& stats : table.kept) {
    Cluster c;
    c.id = static_cast<int64_t>(label_of_cluster.size());  // index into label_of_cluster
    label_of_cluster.push_back(stats.label);
    c.size = stats.size;
    c.core_size = stats.core_size;
    c.representative = stats.first_row;
    c.mean_similarity = stats.inside_edges ? stats.inside_similarity_sum / stats.inside_edges : 0;
    c.internal_distance = stats.internal_median;
    // An isolated cluster (no outside neighbours) is measured against the genuine population.
    c.surround_distance = stats.surround_rows == 0 ? genuine_distance : stats.surround_median;
    c.tightness = c.internal_distance > 0 ? c.surround_distance / c.internal_distance
                                          : std::numeric_limits<double>::infinity();
    c.score = model.anomaly(c.internal_distance);
    if (c.internal_distance <= 0) c.score = model.anomaly(0);
    c.kind = c.internal_distance <= model.duplicate_distance ? "template_farm" : "click_farm";
    if (c.tightness < config.clusters.min_tightness) {
      ++result.rejected_loose;
      continue;
    }
    kept.push_back(c);
  }
  result.clusters = rank_and_label(
      std::move(kept), density.label, result.label,
      [&](const Cluster& c) { return label_of_cluster[static_cast<size_t>(c.id)]; },
      [](const Cluster& a, const Cluster& b) {
        if (a.score != b.score) return a.score > b.score;
        if (a.size != b.size) return a.size > b.size;
        return a.representative < b.representative;
      });
  return result;
}

}  // namespace unfriend
