// kNN-DBSCAN labelling and group statistics on the CPU: the reference implementations behind
// Backend::density_labels and Backend::group_statistics, and the oracle the CUDA backend is
// tested against.
#pragma once

#include <cstdint>
#include <vector>

#include "host/core/backend.h"

namespace unfriend {

DensityLabels cpu_density_labels(const KnnGraph& graph, const std::vector<float>& distances,
                                 const std::vector<float>& core_distance, double eps);

GroupTable cpu_group_statistics(const KnnGraph& graph, const std::vector<int64_t>& label,
                                const GroupStatsOptions& options);

/// The median as the statistics define it: the middle value, or the mean (in double) of the
/// two middle values; NaN for no values. Reorders `values`.
double median_of(std::vector<double>& values);

}  // namespace unfriend
