#include "cuda/knn_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "cuda/stack_arena.h"
#include "host/core/error.h"
#include "kernels/select_k.h"

namespace unfriend::gpu {

namespace {

constexpr int64_t kDefaultQueryRows = 16384;
constexpr int64_t kDefaultTileCols = 32768;
constexpr int64_t kDefaultDbBlockRows = int64_t{1} << 20;
// Host-to-device uploads go in chunks of about this many bytes (double-buffered).
constexpr int64_t kUploadChunkBytes = int64_t{16} << 20;
// Tile columns are halved down to this before query rows are touched: narrower tiles only add
// launches, fewer query rows add whole passes over the database.
constexpr int64_t kPreferredMinTileCols = 1024;
constexpr int64_t kTileColAlign = 32;

int64_t round_up(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

int64_t aligned(int64_t bytes) {
  return static_cast<int64_t>(
      StackArena::aligned(static_cast<size_t>(std::max<int64_t>(bytes, 1))));
}

int64_t query_block_bytes(const KnnPlan& p) {
  int64_t bytes = aligned(p.query_rows * p.queue_length * 4) * 2 +  // running scores, indices
                  aligned(p.query_rows * p.tile_ld * 4);            // score tile
  if (p.rescore_on_device) {
    bytes += aligned(p.query_rows * p.k * 8) + aligned(p.query_rows * p.k * 4);
  }
  if (p.streaming) {
    bytes += aligned(p.query_rows * p.cols * 4) + aligned(p.query_rows * p.padded_cols * 2);
  }
  return bytes;
}

int64_t database_bytes(const KnnPlan& p) {
  if (p.streaming) {
    int64_t slot =
        aligned(p.db_block_rows * p.cols * 4) + aligned(p.db_block_rows * p.padded_cols * 2);
    if (p.l2) slot += aligned(p.db_block_rows * 4);
    return 2 * slot;
  }
  int64_t bytes = aligned(p.rows * p.padded_cols * 2);
  if (p.l2) bytes += aligned(p.rows * 4);
  if (p.fp32_rows_resident) bytes += aligned(p.rows * p.cols * 4);
  if (p.device_upload_staging()) bytes += 2 * aligned(p.upload_rows * p.cols * 4);
  return bytes;
}

void finish_counts(KnnPlan& p) {
  p.tile_ld = round_up(p.tile_cols, kTileColAlign);
  p.query_blocks = (p.rows + p.query_rows - 1) / p.query_rows;
  p.db_blocks = p.streaming ? (p.rows + p.db_block_rows - 1) / p.db_block_rows : 1;
  p.device_bytes = knn_plan_device_bytes(p);
  if (p.rows_on_device) {
    p.pinned_upload_slot_bytes = 0;
  } else if (p.streaming) {
    p.pinned_upload_slot_bytes = aligned(p.db_block_rows * p.cols * 4);
  } else {
    p.pinned_upload_slot_bytes = aligned(p.upload_rows * p.cols * 4);
  }
  p.pinned_result_slot_bytes =
      p.rescore_on_device ? aligned(p.query_rows * p.k * 8) + aligned(p.query_rows * p.k * 4)
                          : aligned(p.query_rows * p.queue_length * 4);
}

/// Shrinks the blocks of `p` until it fits `budget`; false when even the smallest does not.
bool fit(KnnPlan& p, int64_t budget) {
  const int64_t min_tile = std::min<int64_t>(p.rows, kTileColAlign);
  for (;;) {
    finish_counts(p);
    if (p.device_bytes <= budget) return true;
    const int64_t tile = p.query_rows * p.tile_ld * 4;
    const int64_t query = query_block_bytes(p) - tile;
    const int64_t slots = p.streaming ? database_bytes(p) : 0;
    const bool tile_can = p.tile_cols > min_tile;
    const bool query_can = p.query_rows > 1;
    const bool slots_can = p.streaming && p.db_block_rows > min_tile;
    if (slots_can && slots >= tile && slots >= query) {
      p.db_block_rows = std::max(min_tile, p.db_block_rows / 2);
      p.tile_cols = std::min(p.tile_cols, p.db_block_rows);
    } else if (tile_can && tile >= query && (p.tile_cols > kPreferredMinTileCols || !query_can)) {
      p.tile_cols = std::max(min_tile, round_up(p.tile_cols / 2, kTileColAlign));
      p.tile_cols = std::min(p.tile_cols, p.rows);
    } else if (query_can) {
      p.query_rows = std::max<int64_t>(1, p.query_rows / 2);
    } else if (tile_can) {
      p.tile_cols = std::max(min_tile, round_up(p.tile_cols / 2, kTileColAlign));
      p.tile_cols = std::min(p.tile_cols, p.rows);
    } else if (slots_can) {
      p.db_block_rows = std::max(min_tile, p.db_block_rows / 2);
      p.tile_cols = std::min(p.tile_cols, p.db_block_rows);
    } else {
      return false;
    }
  }
}

}  // namespace

int64_t knn_plan_device_bytes(const KnnPlan& p) { return database_bytes(p) + query_block_bytes(p); }

std::string KnnPlan::describe() const {
  constexpr double mib = 1 << 20;
  return fmt::format(
      "{} rows x {} cols, k={} (queue {}), {}, rescore on {}, query blocks {} x {} rows, "
      "tiles of {} cols{}, {:.1f} MiB device",
      rows, cols, k, queue_length,
      streaming ? fmt::format("streaming {} blocks of {} rows", db_blocks, db_block_rows)
                : std::string("database resident"),
      rescore_on_device ? "device" : "host", query_blocks, query_rows, tile_cols,
      fp32_rows_resident ? ", fp32 copy resident" : "", static_cast<double>(device_bytes) / mib);
}

KnnPlan plan_knn(const KnnPlanInput& input, const CudaTuning& tuning) {
  if (input.k < 1 || input.k > kernels::kMaxSelectQueue) {
    throw InputError(fmt::format("kNN k={} is outside the CUDA backend's range 1 to {}", input.k,
                                 kernels::kMaxSelectQueue));
  }
  if (input.rows < 2 || input.cols < 1 || input.k >= input.rows) {
    throw InputError(fmt::format("kNN plan: {} rows x {} cols cannot give k={} neighbours",
                                 input.rows, input.cols, input.k));
  }
  KnnPlan base;
  base.rows = input.rows;
  base.cols = input.cols;
  base.padded_cols = round_up(input.cols, 8);
  base.k = input.k;
  // At least 2k candidates where k allows: the exact re-scoring can then repair near-ties at
  // the cut that fp16/bf16 scores put in the wrong order, so the graph is the CPU's.
  const int64_t candidates =
      std::max<int64_t>(2 * static_cast<int64_t>(input.k),
                        static_cast<int64_t>(input.k) + std::max(0, tuning.extra_candidates));
  const int wanted = static_cast<int>(std::min<int64_t>(kernels::kMaxSelectQueue, candidates));
  base.queue_length = kernels::select_queue_length(wanted);
  base.l2 = input.metric == Metric::l2;

  const int64_t max_query = tuning.max_query_rows > 0 ? tuning.max_query_rows : kDefaultQueryRows;
  const int64_t max_tile = tuning.max_tile_cols > 0 ? tuning.max_tile_cols : kDefaultTileCols;
  const int64_t max_db_block =
      tuning.max_db_block_rows > 0 ? tuning.max_db_block_rows : kDefaultDbBlockRows;

  struct Mode {
    bool streaming;
    bool rescore_on_device;
  };
  std::vector<Mode> modes;
  const bool allow_device_rescore = tuning.rescore != RescoreLocation::host || input.rows_on_device;
  const bool allow_host_rescore =
      tuning.rescore != RescoreLocation::device && !input.rows_on_device;
  if (!tuning.force_streaming || input.rows_on_device) {
    if (allow_device_rescore) modes.push_back({false, true});
    if (allow_host_rescore) modes.push_back({false, false});
  }
  if (!input.rows_on_device && allow_host_rescore) modes.push_back({true, false});
  if (modes.empty()) {
    throw InputError(
        "CUDA tuning: streaming the database needs host re-scoring, but device re-scoring was "
        "forced");
  }

  int64_t smallest = -1;
  for (const Mode& mode : modes) {
    KnnPlan p = base;
    p.rows_on_device = input.rows_on_device;
    p.streaming = mode.streaming;
    p.rescore_on_device = mode.rescore_on_device;
    p.fp32_rows_resident = !p.streaming && p.rescore_on_device && !input.rows_on_device;
    p.query_rows = std::min(input.rows, max_query);
    p.tile_cols = std::min(input.rows, max_tile);
    if (p.streaming) {
      p.db_block_rows = std::min(input.rows, std::max<int64_t>(1, max_db_block));
      p.tile_cols = std::min(p.tile_cols, p.db_block_rows);
      p.upload_rows = 0;
    } else {
      p.db_block_rows = input.rows;
      p.upload_rows =
          input.rows_on_device
              ? 0
              : std::clamp<int64_t>(kUploadChunkBytes / (input.cols * 4), 1, input.rows);
    }
    if (fit(p, input.budget_bytes)) return p;
    if (smallest < 0 || p.device_bytes < smallest) smallest = p.device_bytes;
  }
  constexpr double mib = 1 << 20;
  throw RuntimeFailure(fmt::format(
      "GPU memory budget of {:.1f} MiB is too small for an exact kNN of {} rows x {} columns "
      "(k={}): the smallest plan needs {:.1f} MiB",
      static_cast<double>(input.budget_bytes) / mib, input.rows, input.cols, input.k,
      static_cast<double>(smallest) / mib));
}

double host_staging_bytes(int64_t rows, int64_t cols, int k, const CudaTuning& tuning) {
  const int64_t max_query = tuning.max_query_rows > 0 ? tuning.max_query_rows : kDefaultQueryRows;
  const double query_rows = static_cast<double>(std::min(rows, max_query));
  const double upload_rows = static_cast<double>(std::clamp<int64_t>(
      kUploadChunkBytes / (std::max<int64_t>(cols, 1) * 4), 1, std::max<int64_t>(rows, 1)));
  const double per_row = std::max(static_cast<double>(k) * 12, kernels::kMaxSelectQueue * 4.0);
  return 2 * query_rows * per_row + 2 * upload_rows * static_cast<double>(cols) * 4;
}

}  // namespace unfriend::gpu
