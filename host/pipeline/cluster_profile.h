// Each cluster's feature profile: in which features its members are alike, measured as the
// members' standard deviation over everyone's, per feature, in the space the sweep compared
// (prepared rows). Recorded so that a reviewer sees what a cluster has in common without the
// input (the report's profiles, `explain`).
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/matrix.h"

namespace unfriend {

/// [clusters x features], row-major: member sd / population sd; NaN where the population does
/// not vary or the cluster has fewer than two members. `label` per row (cluster index or -1).
std::vector<float> feature_spread_ratios(MatrixView features, const std::vector<int64_t>& label,
                                         int64_t clusters);

}  // namespace unfriend
