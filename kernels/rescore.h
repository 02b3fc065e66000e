// Launcher of the exact re-scoring of candidate lists: the similarities every backend stores.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/kernel_types.h"

namespace unfriend::kernels {

struct RescoreArgs {
  /// Query row q: queries[q * dims ...]; database row j: database[j * dims ...] (fp32).
  const float* queries = nullptr;
  const float* database = nullptr;
  int64_t database_rows = 0;
  int64_t dims = 0;
  int rows = 0;  // query rows
  /// [rows x queue_length] candidate database rows; kPadIndex (or any index outside
  /// [0, database_rows)) marks an empty slot. No index may repeat within a row.
  const int32_t* candidates = nullptr;
  ScoreKind score = ScoreKind::dot;
  /// Output [rows x k]: the k best candidates by (similarity desc, index asc), index -1 and
  /// similarity -inf where a row has fewer than k candidates.
  int k = 0;
  int64_t* out_indices = nullptr;
  float* out_similarity = nullptr;
};

/// Similarities in double, the same formula as the CPU backend's pair_similarity (every
/// float x float product is exact in double, so both agree to the last bit in all but
/// astronomically rare cases), rounded to float, then sorted per row. queue_length from
/// select_queue_length, k <= queue_length.
cudaError_t rescore_candidates(const RescoreArgs& args, int queue_length, cudaStream_t stream);

}  // namespace unfriend::kernels
