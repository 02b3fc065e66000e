#include "host/pipeline/groups.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "host/pipeline/alikeness.h"
#include "host/pipeline/cluster_selection.h"
#include "host/pipeline/hierarchy.h"
#include "host/pipeline/touching_candidates.h"

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

// Surroundings over inside: an isolated set (no outside neighbours) is measured against the
// genuine population.
struct SetTightness {
  double surround = 0, tightness = 0;
};
SetTightness tightness_of(const GroupStats& stats, double genuine_distance) {
  SetTightness t;
  t.surround = stats.surround_rows == 0 ? genuine_distance : stats.surround_median;
  t.tightness = stats.internal_median > 0 ? t.surround / stats.internal_median
                                          : std::numeric_limits<double>::infinity();
  return t;
}

// The sets the tests judge: density clusters that touch are joined (touching_candidates.h)
// where the joined set is tighter than its surroundings; where it is not, its parts are judged
// one by one as before, so joining only ever adds a set, never loses one that passed alone.
std::vector<int64_t> judged_sets(Backend& backend, const KnnGraph& graph,
                                 const std::vector<int64_t>& density_label,
                                 const GroupStatsOptions& options, double genuine_distance,
                                 double min_tightness, std::vector<int64_t>& parts,
                                 int64_t& joined) {
  TouchingCandidates touching = join_touching_candidates(graph, density_label);
  parts.assign(density_label.size(), 0);
  joined = 0;
  std::vector<int64_t> judged = density_label;
  if (touching.joins == 0) {
    for (int64_t l : density_label) {
      if (l >= 0) parts[static_cast<size_t>(l)] = 1;
    }
    return judged;
  }
  GroupStatsOptions joined_options = options;
  joined_options.min_size = 1;
  const GroupTable table = backend.group_statistics(graph, touching.label, joined_options);
  std::vector<uint8_t> keep_joined(density_label.size(), 0);
  for (const GroupStats& stats : table.kept) {
    const size_t l = static_cast<size_t>(stats.label);
    if (touching.parts[l] < 2 || stats.size < options.min_size) continue;
    if (tightness_of(stats, genuine_distance).tightness >= min_tightness) keep_joined[l] = 1;
  }
  for (size_t i = 0; i < judged.size(); ++i) {
    const int64_t root = touching.label[i];
    if (root >= 0 && keep_joined[static_cast<size_t>(root)]) judged[i] = root;
  }
  for (size_t l = 0; l < keep_joined.size(); ++l) {
    if (keep_joined[l]) joined += touching.parts[l] - 1;
  }
  // Parts per judged set: count the distinct density labels that map to each judged label.
  std::vector<int64_t> counted(density_label.size(), -1);
  for (size_t i = 0; i < judged.size(); ++i) {
    const int64_t d = density_label[i];
    if (d < 0 || counted[static_cast<size_t>(d)] >= 0) continue;
    counted[static_cast<size_t>(d)] = judged[i];
    ++parts[static_cast<size_t>(judged[i])];
  }
  return judged;
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

Clusters find_clusters(Backend& backend, const KnnGraph& graph, const std::vector<float>& distances,
                       Metric /*metric*/, const DensityModel& model, const SweepConfig& config) {
  const int64_t n = graph.rows;
  Clusters result;
  result.label.assign(static_cast<size_t>(n), -1);
  if (n == 0 || !(model.eps > 0)) return result;

  // kNN-DBSCAN on the backend: core rows, clusters of core rows, border rows attached.
  DensityLabels density = backend.density_labels(graph, distances, model.core_distance, model.eps);

  GroupStatsOptions options;
  options.min_size = config.clusters.min_size > 0 ? config.clusters.min_size : model.min_pts + 1;
  options.core_distance = model.core_distance;
  options.core = density.core;
  options.surround = true;
  const double genuine_distance = std::exp(model.genuine_log_mode);
  // Pieces of one network that the level cut apart are judged as one set.
  std::vector<int64_t> parts;
  density.label = judged_sets(backend, graph, density.label, options, genuine_distance,
                              config.clusters.min_tightness, parts, result.joined_candidates);
  const GroupTable table = backend.group_statistics(graph, density.label, options);
  result.candidates = table.groups;
  result.rejected_small = table.groups - static_cast<int64_t>(table.kept.size());

  // Every density cluster as a candidate, by label: sizes for all, statistics for those tested.
  const double not_tested = std::numeric_limits<double>::quiet_NaN();
  std::vector<int64_t> candidate_of_label(static_cast<size_t>(n), -1);
  result.candidate_label.assign(static_cast<size_t>(n), -1);
  {
    std::vector<int64_t> size_of_label(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t l = density.label[static_cast<size_t>(i)];
      if (l >= 0) ++size_of_label[static_cast<size_t>(l)];
    }
    for (int64_t l = 0; l < n; ++l) {
      if (size_of_label[static_cast<size_t>(l)] == 0) continue;
      candidate_of_label[static_cast<size_t>(l)] =
          static_cast<int64_t>(result.candidate_table.size());
      Candidate c;
      c.size = size_of_label[static_cast<size_t>(l)];
      c.internal_distance = c.surround_distance = c.tightness = c.cohesion = not_tested;
      c.parts = parts[static_cast<size_t>(l)];
      c.outcome = "too_small";
      result.candidate_table.push_back(c);
    }
    for (int64_t i = 0; i < n; ++i) {
      const int64_t l = density.label[static_cast<size_t>(i)];
      if (l >= 0)
        result.candidate_label[static_cast<size_t>(i)] = candidate_of_label[static_cast<size_t>(l)];
    }
  }
  result.core = std::move(density.core);

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
    const SetTightness t = tightness_of(stats, genuine_distance);
    c.surround_distance = t.surround;
    c.tightness = t.tightness;
    c.score = model.anomaly(c.internal_distance);
    if (c.internal_distance <= 0) c.score = model.anomaly(0);
    c.kind = c.internal_distance <= model.duplicate_distance ? "template_farm" : "click_farm";
    c.candidate = candidate_of_label[static_cast<size_t>(stats.label)];
    Candidate& candidate = result.candidate_table[static_cast<size_t>(c.candidate)];
    candidate.core_size = c.core_size;
    candidate.internal_distance = c.internal_distance;
    candidate.surround_distance = c.surround_distance;
    candidate.tightness = c.tightness;
    if (c.tightness < config.clusters.min_tightness) {
      ++result.rejected_loose;
      candidate.outcome = "not_tighter";
      continue;
    }
    candidate.outcome = "cluster";
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
  for (size_t i = 0; i < result.clusters.size(); ++i) {
    const int64_t c = result.clusters[i].candidate;
    if (c >= 0) result.candidate_table[static_cast<size_t>(c)].cluster = static_cast<int64_t>(i);
  }
  return result;
}

Clusters find_hierarchy_clusters(Backend& backend, const KnnGraph& graph,
                                 const std::vector<float>& distances, MatrixView features,
                                 const DensityModel& model, const SweepConfig& config) {
  const int64_t n = graph.rows;
  Clusters result;
  result.label.assign(static_cast<size_t>(n), -1);
  if (n == 0) return result;
  const int64_t min_size =
      config.clusters.min_size > 0 ? config.clusters.min_size : model.min_pts + 1;

  const SpanningForest forest = backend.spanning_forest(graph, distances, model.core_distance);
  // Levels stop rising a million times below the genuine scale: exact duplicates sit there.
  const double floor_distance = std::max(1e-30, 1e-6 * std::exp(model.genuine_log_mode));
  const CondensedTree tree = condense_forest(forest, n, min_size, floor_distance);

  AlikenessOptions null_options;
  null_options.samples = config.clusters.null_samples;
  null_options.alike_z = config.clusters.alike_z;
  null_options.share = config.clusters.min_breadth;
  null_options.grow_by_density = config.clusters.null_growth == "density";
  null_options.max_spread_ratio = config.clusters.max_spread_ratio;
  null_options.climb_floor = config.clusters.null_floor == "eps" ? model.eps : 0.0;
  null_options.min_size = std::max<int64_t>(16, min_size);
  null_options.seed = config.knn.seed;
  // Null seeds: accounts at least as loose as the genuine population's mode.
  std::vector<int64_t> loose;
  const double genuine_distance_mode = std::exp(model.genuine_log_mode);
  for (int64_t i = 0; i < n; ++i) {
    if (model.core_distance[static_cast<size_t>(i)] >= genuine_distance_mode) loose.push_back(i);
  }
  if (static_cast<int64_t>(loose.size()) < null_options.samples) loose.clear();
  const AlikenessModel null_model =
      fit_alikeness(features, graph, null_options, loose, model.core_distance);
  CoordinationTest test;
  test.min_breadth = config.clusters.min_breadth;
  test.min_size = min_size;
  const ClusterSelection selection = select_clusters(tree, features, null_model, test);
  result.tree_clusters = tree.clusters();
  for (const auto& ev : selection.evidence) result.tree_clusters_passing += ev.passes;
  result.null_samples = null_model.samples;
  result.null_sizes = null_model.sizes;
  result.informative_features = null_model.informative_features;
  result.alike_z = null_model.alike_z;
  result.null_median = null_model.statistic_median;
  result.null_spread = null_model.statistic_spread;
  result.candidates = static_cast<int64_t>(selection.clusters.size());
  result.point_tree_cluster = tree.point_cluster;
  result.point_distance.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    result.point_distance[static_cast<size_t>(i)] =
        static_cast<float>(std::exp(-tree.point_level[static_cast<size_t>(i)]));
  }
  result.tree_parent = tree.parent;
  for (int64_t c = 0; c < tree.clusters(); ++c) {
    const TreeClusterEvidence& ev = selection.evidence[static_cast<size_t>(c)];
    result.tree_birth_distance.push_back(static_cast<float>(std::exp(-tree.birth_level[c])));
    result.tree_death_distance.push_back(static_cast<float>(std::exp(-tree.death_level[c])));
    result.tree_breadth_at_birth.push_back(static_cast<float>(ev.breadth_at_birth));
    result.tree_size.push_back(tree.size[static_cast<size_t>(c)]);
    result.tree_passes.push_back(ev.passes);
    result.tree_selected.push_back(ev.selected);
  }

  // Surroundings and internal similarity of each selected set, on the backend.
  GroupStatsOptions options;
  options.min_size = 1;
  options.core_distance = model.core_distance;
  options.surround = true;
  const GroupTable table = backend.group_statistics(graph, selection.label, options);
  // Spread of the internal similarities (host: one pass over the members' edges).
  const size_t selected = selection.clusters.size();
  std::vector<double> sum(selected, 0.0), sum_squares(selected, 0.0);
  std::vector<int64_t> edges(selected, 0);
  const int k = graph.k;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t l = selection.label[static_cast<size_t>(i)];
    if (l < 0) continue;
    for (int j = 0; j < k; ++j) {
      const size_t e = static_cast<size_t>(i * k + j);
      const int64_t other = graph.neighbors[e];
      if (other < 0 || selection.label[static_cast<size_t>(other)] != l) continue;
      sum[static_cast<size_t>(l)] += graph.similarity[e];
      sum_squares[static_cast<size_t>(l)] +=
          static_cast<double>(graph.similarity[e]) * graph.similarity[e];
      ++edges[static_cast<size_t>(l)];
    }
  }
  const double genuine_distance = std::exp(model.genuine_log_mode);
  std::vector<Cluster> kept;
  for (const GroupStats& stats : table.kept) {
    const SelectedCluster& s = selection.clusters[static_cast<size_t>(stats.label)];
    Cluster c;
    c.id = stats.label;  // the selection index until ranked
    c.size = stats.size;
    c.representative = stats.first_row;
    c.mean_similarity = stats.inside_edges ? stats.inside_similarity_sum / stats.inside_edges : 0;
    const size_t l = static_cast<size_t>(stats.label);
    if (edges[l] > 1) {
      const double mean = sum[l] / edges[l];
      c.similarity_spread = std::sqrt(std::max(0.0, sum_squares[l] / edges[l] - mean * mean));
    }
    c.internal_distance = stats.internal_median;
    const SetTightness t = tightness_of(stats, genuine_distance);
    c.surround_distance = t.surround;
    c.tightness = t.tightness;
    c.score = model.anomaly(std::max(0.0, c.internal_distance));
    c.kind = c.internal_distance <= model.duplicate_distance ? "template_farm" : "click_farm";
    c.breadth = s.breadth;
    c.stability = s.stability;
    c.birth_distance = std::exp(-s.birth_level);
    c.density_distance = std::exp(-s.level);
    c.alike_features = s.alike_features;
    // Far tighter than its surroundings, compared with ordinary neighbourhoods of its size.
    c.null_tightness = null_model.min_tightness(c.size);
    if (!(c.tightness > c.null_tightness)) {
      ++result.rejected_loose;
      continue;
    }
    c.decided_by = "breadth+tightness";
    kept.push_back(c);
  }
  result.clusters = rank_and_label(
      std::move(kept), selection.label, result.label, [](const Cluster& c) { return c.id; },
      [](const Cluster& a, const Cluster& b) {
        if (a.score != b.score) return a.score > b.score;
        if (a.size != b.size) return a.size > b.size;
        return a.representative < b.representative;
      });
  return result;
}

void apply_cohesion_test(Backend& backend, Clusters& clusters, MatrixView features, Metric metric,
                         const std::vector<int32_t>& informative_columns,
                         const SweepConfig& config) {
  const double min_cohesion = config.clusters.min_cohesion;
  const double not_made = std::numeric_limits<double>::quiet_NaN();
  clusters.halves = min_cohesion > 0 ? split_feature_halves(informative_columns, config.knn.seed)
                                     : FeatureHalves();
  if (!clusters.halves.usable()) {
    for (Cluster& c : clusters.clusters) {
      c.cohesion_halves = {not_made, not_made};
      c.cohesion = not_made;
    }
    return;
  }
  CohesionOptions options;
  options.neighbors = config.clusters.min_pts;
  options.max_queries = config.clusters.cohesion_queries;
  options.query_block_rows = config.knn.query_block_rows;   // as the memory plan sized it
  options.exact_max_rows = config.knn.auto_exact_max_rows;  // the kNN graph's own switch
  options.seed = config.knn.seed;
  const auto cohesion = split_cohesion(backend, features, metric, clusters.halves, clusters.label,
                                       static_cast<int64_t>(clusters.clusters.size()), options);
  std::vector<int64_t> new_id(clusters.clusters.size(), -1);
  std::vector<Cluster> kept;
  for (size_t i = 0; i < clusters.clusters.size(); ++i) {
    Cluster c = clusters.clusters[i];
    c.cohesion_halves = cohesion[i];
    c.cohesion = std::min(cohesion[i][0], cohesion[i][1]);
    Candidate* candidate =
        c.candidate >= 0 ? &clusters.candidate_table[static_cast<size_t>(c.candidate)] : nullptr;
    if (candidate) candidate->cohesion = c.cohesion;
    if (!(c.cohesion >= min_cohesion)) {
      ++clusters.rejected_not_cohesive;
      if (candidate) {
        candidate->outcome = "not_cohesive";
        candidate->cluster = -1;
      }
      continue;
    }
    if (candidate) candidate->cluster = static_cast<int64_t>(kept.size());
    c.decided_by = (c.decided_by.empty() ? std::string("tightness") : c.decided_by) + "+cohesion";
    new_id[i] = static_cast<int64_t>(kept.size());
    c.id = new_id[i];
    kept.push_back(std::move(c));
  }
  for (int64_t& l : clusters.label) {
    if (l >= 0) l = new_id[static_cast<size_t>(l)];
  }
  clusters.clusters = std::move(kept);
}

}  // namespace unfriend
