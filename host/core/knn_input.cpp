#include "host/core/knn_input.h"

#include <fmt/format.h>

#include <climits>

#include "host/core/error.h"

namespace unfriend {

void check_knn_input(int64_t rows, int64_t cols, bool has_data, const KnnParams& params) {
  if (params.k < 1) throw InputError(fmt::format("kNN k must be at least 1, got {}", params.k));
  if (params.query_block_rows < 1) {
    throw InputError(
        fmt::format("kNN query_block_rows must be at least 1, got {}", params.query_block_rows));
  }
  if (rows < 0) throw InputError(fmt::format("kNN input has {} rows", rows));
  if (rows == 0) return;
  if (cols < 1 || cols > INT_MAX) {
    throw InputError(fmt::format("kNN input has {} columns, expected 1 to {}", cols, INT_MAX));
  }
  if (!has_data) throw InputError(fmt::format("kNN input of {} rows has no data", rows));
}

void throw_not_finite(int64_t at, int64_t cols, float value) {
  throw InputError(
      fmt::format("kNN input row {} column {} is not finite ({})", at / cols, at % cols, value));
}

}  // namespace unfriend
