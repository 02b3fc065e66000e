// The top of the cluster ranking, built once: the JSON summary's `top_clusters`, which the text
// summary renders too (sweep_text.h).
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

}  // namespace unfriend
