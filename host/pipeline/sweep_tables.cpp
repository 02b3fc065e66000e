#include "host/pipeline/sweep_tables.h"

#include <limits>

namespace unfriend {

void write_cluster_table(H5Writer& writer, const std::vector<Cluster>& clusters,
                         const std::vector<float>& feature_spread, int64_t cols,
                         const std::vector<std::string>& feature_names, const AccountIdOf& id_of) {
  std::vector<int64_t> id, size, core_size, representative;
  std::vector<std::string> kind;
  std::vector<float> mean_similarity, tightness, cscore, internal, surround;
  std::vector<float> spread, breadth, stability, birth, density, null_tightness;
  std::vector<int64_t> alike_count;
  std::vector<std::string> decided_by;
  std::vector<float> cohesion, cohesion_halves;
  for (const Cluster& c : clusters) {
    cohesion.push_back(static_cast<float>(c.cohesion));
    cohesion_halves.push_back(static_cast<float>(c.cohesion_halves[0]));
    cohesion_halves.push_back(static_cast<float>(c.cohesion_halves[1]));
    spread.push_back(static_cast<float>(c.similarity_spread));
    null_tightness.push_back(static_cast<float>(c.null_tightness));
    breadth.push_back(static_cast<float>(c.breadth));
    stability.push_back(static_cast<float>(c.stability));
    birth.push_back(static_cast<float>(c.birth_distance));
    density.push_back(static_cast<float>(c.density_distance));
    alike_count.push_back(static_cast<int64_t>(c.alike_features.size()));
    decided_by.push_back(c.decided_by.empty() ? "tightness" : c.decided_by);
    id.push_back(c.id);
    size.push_back(c.size);
    core_size.push_back(c.core_size);
    representative.push_back(id_of(c.representative));
    kind.push_back(c.kind);
    mean_similarity.push_back(static_cast<float>(c.mean_similarity));
    tightness.push_back(static_cast<float>(c.tightness));
    cscore.push_back(static_cast<float>(c.score));
    internal.push_back(static_cast<float>(c.internal_distance));
    surround.push_back(static_cast<float>(c.surround_distance));
  }
  writer.write_int64("/clusters/id", id);
  writer.write_int64("/clusters/size", size);
  writer.write_strings("/clusters/kind", kind);
  writer.write_float32("/clusters/mean_similarity", mean_similarity);
  writer.write_float32("/clusters/tightness", tightness);
  writer.write_float32("/clusters/score", cscore);
  writer.write_int64("/clusters/core_size", core_size);
  writer.write_float32("/clusters/internal_distance", internal);
  writer.write_float32("/clusters/surround_distance", surround);
  writer.write_int64("/clusters/representative_id", representative);
  writer.write_float32("/clusters/similarity_spread", spread);
  writer.write_float32("/clusters/breadth", breadth);
  writer.write_float32("/clusters/null_tightness", null_tightness);
  writer.write_int64("/clusters/alike_features", alike_count);
  writer.write_float32("/clusters/stability", stability);
  writer.write_float32("/clusters/birth_distance", birth);
  writer.write_float32("/clusters/density_distance", density);
  writer.write_strings("/clusters/decided_by", decided_by);
  writer.write_float32("/clusters/cohesion", cohesion);
  if (!feature_spread.empty()) {
    writer.write_float32_matrix("/clusters/feature_spread", feature_spread.data(),
                                static_cast<int64_t>(clusters.size()), cols);
  }
  // The features' names, when the input has them (an imported table), for the profiles.
  if (static_cast<int64_t>(feature_names.size()) == cols) {
    writer.write_strings("/features/names", feature_names);
  }
  writer.write_float32_matrix("/clusters/cohesion_halves", cohesion_halves.data(),
                              static_cast<int64_t>(clusters.size()), 2);
}

void write_dup_group_table(H5Writer& writer, const std::vector<DupGroup>& groups,
                           const AccountIdOf& id_of) {
  std::vector<int64_t> id, size, representative;
  std::vector<float> mean_similarity, min_similarity;
  for (const DupGroup& g : groups) {
    id.push_back(g.id);
    size.push_back(g.size);
    representative.push_back(id_of(g.representative));
    mean_similarity.push_back(static_cast<float>(g.mean_similarity));
    min_similarity.push_back(static_cast<float>(g.min_similarity));
  }
  writer.write_int64("/dup_groups/id", id);
  writer.write_int64("/dup_groups/size", size);
  writer.write_float32("/dup_groups/mean_similarity", mean_similarity);
  writer.write_float32("/dup_groups/min_similarity", min_similarity);
  writer.write_int64("/dup_groups/representative_id", representative);
}

void write_hierarchy(H5Writer& writer, const Clusters& clusters,
                     const std::vector<int64_t>& input_row, int64_t input_rows) {
  // The condensed tree, by input row (-2: not assessed), for review and explanation.
  std::vector<int64_t> point_cluster(static_cast<size_t>(input_rows), -2);
  std::vector<float> point_distance(static_cast<size_t>(input_rows),
                                    std::numeric_limits<float>::quiet_NaN());
  for (size_t r = 0; r < input_row.size(); ++r) {
    const size_t row = static_cast<size_t>(input_row[r]);
    point_cluster[row] = clusters.point_tree_cluster[r];
    point_distance[row] = clusters.point_distance[r];
  }
  writer.write_int64("/hierarchy/account_cluster", point_cluster);
  writer.write_float32("/hierarchy/account_distance", point_distance);
  std::vector<int64_t> passes(clusters.tree_passes.begin(), clusters.tree_passes.end());
  std::vector<int64_t> selected(clusters.tree_selected.begin(), clusters.tree_selected.end());
  writer.write_int64("/hierarchy/parent", clusters.tree_parent);
  writer.write_int64("/hierarchy/size", clusters.tree_size);
  writer.write_float32("/hierarchy/birth_distance", clusters.tree_birth_distance);
  writer.write_float32("/hierarchy/death_distance", clusters.tree_death_distance);
  writer.write_float32("/hierarchy/breadth_at_birth", clusters.tree_breadth_at_birth);
  writer.write_int64("/hierarchy/passes", passes);
  writer.write_int64("/hierarchy/selected", selected);

  writer.write_int64("/null/sizes", clusters.null_sizes);

  writer.write_float32("/null/statistic_median", std::vector<float>(clusters.null_median.begin(),
                                                                    clusters.null_median.end()));
  writer.write_float32("/null/statistic_spread", std::vector<float>(clusters.null_spread.begin(),
                                                                    clusters.null_spread.end()));
}

void write_graph_by_input_row(H5Writer& writer, const KnnGraph& graph,
                              const std::vector<int64_t>& input_row, int64_t input_rows,
                              Metric metric) {
  // Neighbours as input row indices, one row per input row; rows not assessed stay -1 / NaN.
  const int k = graph.k;
  std::vector<int64_t> neighbors(static_cast<size_t>(input_rows * k), -1);
  std::vector<float> similarity(static_cast<size_t>(input_rows * k),
                                std::numeric_limits<float>::quiet_NaN());
  for (size_t r = 0; r < input_row.size(); ++r) {
    const size_t row = static_cast<size_t>(input_row[r]);
    for (int j = 0; j < k; ++j) {
      int64_t nb = graph.neighbors[r * static_cast<size_t>(k) + static_cast<size_t>(j)];
      if (nb < 0) continue;
      neighbors[row * k + j] = input_row[static_cast<size_t>(nb)];
      similarity[row * k + j] =
          graph.similarity[r * static_cast<size_t>(k) + static_cast<size_t>(j)];
    }
  }
  writer.write_int64_matrix("/graph/neighbors", neighbors.data(), input_rows, k);
  writer.write_float32_matrix("/graph/similarity", similarity.data(), input_rows, k);
  writer.set_attribute("/graph/similarity", "metric", to_string(metric));
}

}  // namespace unfriend
