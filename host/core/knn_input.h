// The kNN input rules every backend applies, in one place: what a search accepts, and how a
// value it cannot search is reported.
#pragma once

#include <cstdint>

#include "host/core/backend.h"

namespace unfriend {

/// k >= 1, query_block_rows >= 1, rows >= 0 and, for a non-empty input, 1 <= cols <= INT_MAX
/// with data present. Throws InputError saying which rule failed.
void check_knn_input(int64_t rows, int64_t cols, bool has_data, const KnnParams& params);

/// Throws the InputError for the first value that is not finite, at flat index `at` of a
/// matrix of `cols` columns: one NaN poisons every similarity it touches.
[[noreturn]] void throw_not_finite(int64_t at, int64_t cols, float value);

}  // namespace unfriend
