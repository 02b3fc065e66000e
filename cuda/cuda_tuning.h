// Knobs of the CUDA backend that are not part of the product's configuration: precision, tile
// and memory limits, and switches that let tests force the small-memory paths with small data.
// Plain C++ so that the backend factory and tests can set them without CUDA headers.
#pragma once

#include <cstdint>

namespace unfriend {

enum class GemmPrecision { fp16, bf16 };
/// Where candidate lists are re-scored exactly: on the device from an fp32 copy of the rows
/// (when it fits), or on the host.
enum class RescoreLocation { automatic, device, host };

struct CudaTuning {
  GemmPrecision precision = GemmPrecision::fp16;
  /// Further cap on device memory for one call (on top of BackendOptions.gpu_memory_bytes and
  /// the free-memory share); 0: none. Tests use a few MiB to force streaming.
  int64_t memory_budget_bytes = 0;
  /// Query rows per block (rows whose running top-k stays on the device); 0: 16384.
  int64_t max_query_rows = 0;
  /// Database rows per GEMM tile (columns of the score tile); 0: 32768.
  int64_t max_tile_cols = 0;
  /// Database rows per streamed block when the rows do not fit on the device; 0: chosen.
  int64_t max_db_block_rows = 0;
  /// Stream the database through the device even when it would fit.
  bool force_streaming = false;
  RescoreLocation rescore = RescoreLocation::automatic;
  /// Candidates selected per row beyond k before the exact re-scoring (at least k are: the
  /// queue holds 2k where k <= 128); the queue length is rounded up to a power of two >= 32
  /// and every slot of it is used, so this matters only when it crosses to the next length.
  int extra_candidates = 0;
  /// Record per-stage GPU times with CUDA events (GpuKnnStats); costs a little host time.
  bool collect_stage_times = false;
  /// Graph rows per threshold_components tile; 0: chosen from the budget.
  int64_t edge_tile_rows = 0;
  /// Initial edge-buffer capacity per tile; 0: chosen. Tests set it tiny to force the
  /// overflow-and-retry path.
  int64_t initial_edge_capacity = 0;
  /// CPU threads for host-side work (input checks, host re-scoring); 0: all cores.
  int host_threads = 0;
};

}  // namespace unfriend
