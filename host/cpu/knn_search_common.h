// Helpers that the CPU kNN searches share (exact, IVF, HNSW and the references): the input
// check, the width of a search (k + 1 + the rescoring margin) and the plan line of a checkpoint.
#pragma once

#include <cstdint>
#include <string>

#include "host/core/backend.h"
#include "host/core/matrix.h"

namespace unfriend {

/// The kNN input checks (host/core/knn_input.h) plus every value finite; InputError naming the
/// first bad value otherwise.
void validate_knn_data(MatrixView data, const KnnParams& params);

/// Candidates a search keeps per row: k + 1 (the row itself is found and removed) plus the
/// rescoring margin, capped at the row count.
int search_width(int64_t rows, int k);

/// "cpu MODE: R x D rows, k=K (searching W), metric M": how a checkpoint names its plan.
std::string knn_plan_prefix(const std::string& mode, MatrixView data, const KnnParams& params,
                            int k_search);

}  // namespace unfriend
