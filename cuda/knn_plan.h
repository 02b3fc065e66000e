// The memory plan of an exact GPU kNN build: which rows live on the device, how large the query
// blocks, score tiles and streamed database blocks are, so that everything fits the budget.
// Pure host arithmetic, unit-tested without a GPU.
#pragma once

#include <cstdint>
#include <string>

#include "cuda/cuda_tuning.h"
#include "host/core/knn_graph.h"

namespace unfriend::gpu {

struct KnnPlanInput {
  int64_t rows = 0;
  int64_t cols = 0;
  int k = 0;  // neighbours to return, 1 <= k <= 256, k < rows
  Metric metric = Metric::cosine;
  int64_t budget_bytes = 0;
  bool rows_on_device = false;  // the caller's fp32 rows already live on the device
};

struct KnnPlan {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t padded_cols = 0;  // 16-bit row stride: cols rounded up to 8 (16 bytes)
  int k = 0;
  int queue_length = 0;  // candidates kept per row (32, 64, 128 or 256)
  bool l2 = false;

  /// The caller's fp32 rows already live on the device (then always resident).
  bool rows_on_device = false;
  /// Database resident on the device (converted once) or streamed in blocks per query block.
  bool streaming = false;
  bool rescore_on_device = false;
  /// Resident mode with host rows and device re-scoring keeps an fp32 copy of all rows.
  bool fp32_rows_resident = false;

  int64_t query_rows = 0;     // per query block
  int64_t tile_cols = 0;      // database rows per GEMM tile
  int64_t tile_ld = 0;        // tile row stride (tile_cols rounded up to 32)
  int64_t db_block_rows = 0;  // streaming: rows per database block; resident: rows
  /// Resident mode with host rows: rows per host-to-device upload chunk (double-buffered
  /// through pinned memory; also through device staging unless the fp32 copy is resident).
  int64_t upload_rows = 0;
  int64_t query_blocks = 0;
  int64_t db_blocks = 0;

  bool device_upload_staging() const {
    return !streaming && !rows_on_device && !fp32_rows_resident;
  }

  int64_t device_bytes = 0;  // what the stack must hold (alignment included)
  /// Pinned host staging: two upload slots (row data in), then two result slots (a finished
  /// query block out: candidate indices for host re-scoring, or final rows).
  int64_t pinned_upload_slot_bytes = 0;
  int64_t pinned_result_slot_bytes = 0;
  int64_t pinned_bytes() const { return 2 * (pinned_upload_slot_bytes + pinned_result_slot_bytes); }

  std::string describe() const;
};

/// Chooses the plan: resident with device re-scoring if it fits, else resident with host
/// re-scoring, else streaming (host rows only); within a mode the largest blocks that fit,
/// shrinking the biggest consumer first. Throws RuntimeFailure naming the budget and what the
/// smallest plan would need when nothing fits; InputError for k outside [1, 256].
KnnPlan plan_knn(const KnnPlanInput& input, const CudaTuning& tuning);

/// Pinned host staging of a search of `rows` x `cols` rows for k neighbours, at most: two result
/// slots of a query block's candidate lists (up to kMaxSelectQueue per row) and two upload chunks.
double host_staging_bytes(int64_t rows, int64_t cols, int k, const CudaTuning& tuning);

/// Device bytes of a plan's buffers (the formula plan_knn fits against).
int64_t knn_plan_device_bytes(const KnnPlan& plan);

}  // namespace unfriend::gpu
