// The top of the cluster ranking, built once and rendered twice: in the JSON summary
// (`top_clusters`) and in the text summary's table.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/pipeline/groups.h"
#include "host/pipeline/sweep_tables.h"

namespace unfriend {

struct TopCluster {
  int64_t id = 0;
  int64_t size = 0;
  std::string kind;
  double mean_similarity = 0, tightness = 0, breadth = 0, score = 0;
  int64_t alike_features = 0;
  std::string decided_by;
  double cohesion = 0;  // NaN: the test was not made
  int64_t representative_id = 0;
};

/// The first `limit` clusters in their ranking order (ids as given).
std::vector<TopCluster> top_clusters(const std::vector<Cluster>& clusters, int64_t limit,
                                     const AccountIdOf& id_of);

/// One object per cluster (cohesion null when not made).
nlohmann::json top_clusters_json(const std::vector<TopCluster>& top);

/// "  top clusters:" and a fixed-width table, one line per cluster; empty when there are none.
std::string top_clusters_text(const std::vector<TopCluster>& top);

}  // namespace unfriend
