// The exact kNN graph on one GPU: rows converted to fp16/bf16, score tiles by cuBLAS on the
// tensor cores, our warp-select kernel keeping a running top-Q per row, exact re-scoring of the
// Q candidates, canonical rows. Works from host rows (resident or streamed, by the memory plan)
// or from rows already on the device (the benchmark's synthetic data).
#pragma once

#include <array>
#include <cstdint>

#include "cuda/cuda_tuning.h"
#include "cuda/gpu_resources.h"
#include "cuda/knn_plan.h"
#include "cuda/stage_timer.h"
#include "host/core/backend.h"
#include "host/core/knn_graph.h"

namespace unfriend::gpu {

/// The rows to build the graph of: exactly one of host / device is set (row-major rows x cols,
/// fp32; for cosine already normalised by the caller).
struct KnnRows {
  const float* host = nullptr;
  const float* device = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
};

struct GpuKnnStats {
  KnnPlan plan;        // left default for trivial inputs (rows < 2)
  double seconds = 0;  // wall clock of the whole call
  double host_rescore_seconds = 0;
  /// GPU milliseconds per Stage, summed (only with CudaTuning::collect_stage_times).
  std::array<double, kStageCount> stage_ms{};
  int64_t upload_bytes = 0;  // row data copied host -> device
  int64_t gemm_tiles = 0;
  float scale = 1.f;  // power of two applied before the 16-bit conversion
};

/// Rows within one query block and its tiles use 32-bit indices: row counts up to this.
constexpr int64_t kMaxGpuRows = 0x7ffffffe;

/// The kNN graph of `rows` against itself, self excluded, rows in canonical order, similarities
/// re-scored exactly (double accumulation, as the CPU backend). params.mode is ignored: the GPU
/// search is always exact. The GPU sizes its query blocks from its memory budget
/// (CudaTuning::max_query_rows caps them); params.query_block_rows sizes the checkpoint units
/// instead: with a checkpoint, rows [u * query_block_rows, (u + 1) * query_block_rows) are unit
/// u, saved as soon as the blocks covering it are finished, skipped when they can be read back,
/// and the build throws StopRequested (after the blocks in flight) once the checkpoint asks to
/// stop. A resume is byte-identical on the same device and memory plan; under another plan the
/// tensor-core products round differently and a near-tie at a queue's cut may go either way.
/// Throws InputError for bad parameters or non-finite input (naming the first bad row and
/// column for host rows), RuntimeFailure for CUDA failures or a budget that cannot hold the
/// smallest plan.
KnnGraph gpu_knn_graph(GpuResources& resources, const KnnRows& rows, const KnnParams& params,
                       const CudaTuning& tuning, GpuKnnStats* stats = nullptr,
                       KnnCheckpoint* checkpoint = nullptr);

/// The power of two rows are multiplied by before the 16-bit conversion, from the largest
/// magnitude in the data: it brings that value near 2^14, far from fp16's overflow (65504) and
/// its subnormals (below 2^-14), while multiplying by a power of two changes no ranking and
/// loses no bits. 1 for all-zero data.
float conversion_scale(float max_abs);

}  // namespace unfriend::gpu
