// The group tables a sweep writes beside its labels: click-farm clusters, near-duplicate
// groups, the density hierarchy (method "hierarchy") and, on request, the kNN graph by input row.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host/core/knn_graph.h"
#include "host/io/h5_writer.h"
#include "host/pipeline/groups.h"

namespace unfriend {

/// An assessed row's account id.
using AccountIdOf = std::function<int64_t(int64_t assessed_row)>;

/// /clusters/* (one row per cluster, in id order), /clusters/feature_spread when given
/// ([clusters x cols]), /features/names when given (one per column) and
/// /clusters/cohesion_halves.
void write_cluster_table(H5Writer& writer, const std::vector<Cluster>& clusters,
                         const std::vector<float>& feature_spread, int64_t cols,
                         const std::vector<std::string>& feature_names, const AccountIdOf& id_of);

/// /dup_groups/{id,size,mean_similarity,min_similarity,representative_id}.
void write_dup_group_table(H5Writer& writer, const std::vector<DupGroup>& groups,
                           const AccountIdOf& id_of);

/// /hierarchy/* (the condensed tree, per input row: -2 not assessed) and /null/*.
void write_hierarchy(H5Writer& writer, const Clusters& clusters,
                     const std::vector<int64_t>& input_row, int64_t input_rows);

/// /graph/{neighbors,similarity}: neighbours as input rows, one row per input row (rows not
/// assessed stay -1 / NaN), with the metric as an attribute.
void write_graph_by_input_row(H5Writer& writer, const KnnGraph& graph,
                              const std::vector<int64_t>& input_row, int64_t input_rows,
                              Metric metric);

}  // namespace unfriend
