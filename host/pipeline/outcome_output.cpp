#include "host/pipeline/outcome_output.h"

#include <string>

namespace unfriend {

void write_candidates(H5Writer& writer, const std::vector<Candidate>& candidates,
                      const StableIds& cluster_ids) {
  std::vector<int64_t> size, core_size, cluster, parts;
  std::vector<float> internal, surround, tightness, cohesion;
  std::vector<std::string> outcome;
  for (const Candidate& c : candidates) {
    size.push_back(c.size);
    core_size.push_back(c.core_size);
    parts.push_back(c.parts);
    internal.push_back(static_cast<float>(c.internal_distance));
    surround.push_back(static_cast<float>(c.surround_distance));
    tightness.push_back(static_cast<float>(c.tightness));
    cohesion.push_back(static_cast<float>(c.cohesion));
    outcome.push_back(c.outcome);
    cluster.push_back(c.cluster >= 0 ? cluster_ids.id[static_cast<size_t>(c.cluster)] : -1);
  }
  writer.write_int64("/candidates/size", size);
  writer.write_int64("/candidates/core_size", core_size);
  writer.write_int64("/candidates/parts", parts);
  writer.write_float32("/candidates/internal_distance", internal);
  writer.write_float32("/candidates/surround_distance", surround);
  writer.write_float32("/candidates/tightness", tightness);
  writer.write_float32("/candidates/cohesion", cohesion);
  writer.write_strings("/candidates/outcome", outcome);
  writer.write_int64("/candidates/cluster", cluster);
}

void write_review_queue(H5Writer& writer, const Decisions& decisions) {
  std::vector<std::string> kind;
  std::vector<int64_t> id, size, protected_members, cleared_members;
  for (const ReviewItem& item : decisions.review_queue) {
    kind.push_back(item.kind);
    id.push_back(item.id);
    size.push_back(item.size);
    protected_members.push_back(item.protected_members);
    cleared_members.push_back(item.cleared_members);
  }
  writer.write_strings("/review/kind", kind);
  writer.write_int64("/review/id", id);
  writer.write_int64("/review/size", size);
  writer.write_int64("/review/protected", protected_members);
  writer.write_int64("/review/cleared", cleared_members);
}

}  // namespace unfriend
