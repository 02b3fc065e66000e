// The short text summary a sweep prints: a rendering of its JSON summary (the one result), with
// the stage times in the order the stages ran.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace unfriend {

struct StageTime {
  std::string stage;
  double seconds = 0;
};

/// The text of `summary` (as run_sweep builds it): accounts, flags, clusters, groups, campaigns,
/// decisions, the change since --previous, thresholds, top clusters, times and outputs.
std::string sweep_text(const nlohmann::json& summary, const std::vector<StageTime>& times);

}  // namespace unfriend
