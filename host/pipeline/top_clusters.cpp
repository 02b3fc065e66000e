#include "host/pipeline/top_clusters.h"

#include <cmath>

namespace unfriend {

std::vector<TopCluster> top_clusters(const std::vector<Cluster>& clusters, int64_t limit,
                                     const AccountIdOf& id_of) {
  std::vector<TopCluster> top;
  for (size_t i = 0; i < clusters.size() && static_cast<int64_t>(i) < limit; ++i) {
    const Cluster& c = clusters[i];
    TopCluster t;
    t.id = c.id;
    t.size = c.size;
    t.kind = c.kind;
    t.mean_similarity = c.mean_similarity;
    t.tightness = c.tightness;
    t.breadth = c.breadth;
    t.alike_features = static_cast<int64_t>(c.alike_features.size());
    t.decided_by = c.decided_by.empty() ? "tightness" : c.decided_by;
    t.cohesion = c.cohesion;
    t.score = c.score;
    t.representative_id = id_of(c.representative);
    top.push_back(t);
  }
  return top;
}

nlohmann::json top_clusters_json(const std::vector<TopCluster>& top) {
  nlohmann::json out = nlohmann::json::array();
  for (const TopCluster& t : top) {
    out.push_back({{"id", t.id},
                   {"size", t.size},
                   {"kind", t.kind},
                   {"mean_similarity", t.mean_similarity},
                   {"tightness", t.tightness},
                   {"breadth", t.breadth},
                   {"alike_features", t.alike_features},
                   {"decided_by", t.decided_by},
                   {"cohesion",
                    std::isnan(t.cohesion) ? nlohmann::json(nullptr) : nlohmann::json(t.cohesion)},
                   {"score", t.score},
                   {"representative_id", t.representative_id}});
  }
  return out;
}

}  // namespace unfriend
