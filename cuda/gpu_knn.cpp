#include "cuda/gpu_knn.h"

#include <cublas_v2.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <utility>
#include <vector>

#include "cuda/cuda_error.h"
#include "cuda/cuda_event.h"
#include "cuda/host_rescore.h"
#include "cuda/parallel_rows.h"
#include "host/core/error.h"
#include "host/core/knn_input.h"
#include "host/core/progress.h"
#include "host/cpu/knn_units.h"
#include "kernels/abs_max.h"
#include "kernels/convert_rows.h"
#include "kernels/kernel_types.h"
#include "kernels/rescore.h"
#include "kernels/select_k.h"

namespace unfriend::gpu {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void validate_params(const KnnRows& rows, const KnnParams& params) {
  check_knn_input(rows.rows, rows.cols, (rows.host == nullptr) != (rows.device == nullptr), params);
  if (params.k > kernels::kMaxSelectQueue) {
    throw InputError(fmt::format(
        "kNN k={} exceeds the CUDA backend's limit of {} (use --backend cpu for larger k)",
        params.k, kernels::kMaxSelectQueue));
  }
  if (rows.rows == 0) return;
  if (rows.rows > kMaxGpuRows) {
    throw InputError(fmt::format("kNN input has {} rows; the CUDA backend handles up to {}",
                                 rows.rows, kMaxGpuRows));
  }
}

/// One pass over host rows: the largest magnitude, or InputError naming the first non-finite
/// value (the same message as the CPU backend).
float host_abs_max_checked(const float* data, int64_t rows, int64_t cols, int threads) {
  std::mutex mutex;
  float max_abs = 0;
  int64_t first_bad = std::numeric_limits<int64_t>::max();
  parallel_rows(rows, threads, [&](int64_t begin, int64_t end) {
    float local_max = 0;
    int64_t local_bad = std::numeric_limits<int64_t>::max();
    for (int64_t i = begin * cols; i < end * cols; ++i) {
      const float x = data[i];
      if (!std::isfinite(x)) {
        local_bad = i;
        break;
      }
      local_max = std::max(local_max, std::fabs(x));
    }
    std::lock_guard<std::mutex> lock(mutex);
    max_abs = std::max(max_abs, local_max);
    first_bad = std::min(first_bad, local_bad);
  });
  if (first_bad != std::numeric_limits<int64_t>::max()) {
    throw_not_finite(first_bad, cols, data[first_bad]);
  }
  return max_abs;
}

/// The same for rows on the device, with CUB (workspace from the stack).
float device_abs_max_checked(GpuResources& resources, const float* data, int64_t count) {
  size_t workspace_bytes = 0;
  UNFRIEND_CUDA_TRY(kernels::abs_max_workspace_bytes(count, &workspace_bytes));
  DeviceStack& stack = resources.stack();
  stack.reserve(DeviceStack::footprint({workspace_bytes, sizeof(float)}));
  Scratch<std::byte> workspace = stack.take<std::byte>(workspace_bytes);
  Scratch<float> result = stack.take<float>(1);
  GpuResources::SyncGuard guard(resources);
  const cudaStream_t stream = resources.compute_stream();
  UNFRIEND_CUDA_TRY(
      kernels::abs_max(data, count, result.data(), workspace.data(), workspace_bytes, stream));
  float max_abs = 0;
  UNFRIEND_CUDA_TRY(
      cudaMemcpyAsync(&max_abs, result.data(), sizeof(float), cudaMemcpyDeviceToHost, stream));
  UNFRIEND_CUDA_TRY(cudaStreamSynchronize(stream));
  if (!std::isfinite(max_abs)) {
    throw InputError("kNN input (rows on the GPU) contains a value that is not finite");
  }
  return max_abs;
}

/// Graph of `rows` rows whose every slot is padding.
KnnGraph padded_graph(int64_t rows, int k) {
  KnnGraph graph;
  graph.rows = rows;
  graph.k = k;
  graph.neighbors.assign(static_cast<size_t>(rows * k), -1);
  graph.similarity.assign(static_cast<size_t>(rows * k), -std::numeric_limits<float>::infinity());
  return graph;
}

/// One kNN build: owns the device buffers of the plan and runs the query blocks.
class KnnRun {
 public:
  KnnRun(GpuResources& resources, const KnnRows& rows, const KnnPlan& plan, Metric metric,
         const CudaTuning& tuning, float scale, KnnGraph& out, GpuKnnStats& stats)
      : res_(resources),
        rows_(rows),
        plan_(plan),
        metric_(metric),
        tuning_(tuning),
        scale_(scale),
        out_(out),
        stats_(stats),
        timer_(tuning.collect_stage_times),
        guard_(resources) {
    allocate();
  }

  /// Searches the query blocks `blocks` (first row, count; in increasing row order, each at
  /// most plan.query_rows rows) and calls on_done(first, count) as each one is finished in the
  /// graph, in order. Before queueing a block it asks stop(first row of the block); when that
  /// says yes the blocks in flight are finished and the run returns false (true when every
  /// block ran).
  bool run(const std::vector<std::pair<int64_t, int64_t>>& blocks,
           const std::function<bool(int64_t)>& stop,
           const std::function<void(int64_t, int64_t)>& on_done) {
    int64_t total = 0;
    for (const auto& block : blocks) total += block.second;
    Progress progress("knn cuda exact", total);
    if (rows_.device != nullptr) {
      convert_resident(rows_.device, 0, plan_.rows, 0);
    } else if (!plan_.streaming) {
      upload_resident();
    }
    bool stopped = false;
    int64_t previous_first = -1, previous_count = 0;
    int previous_slot = 0;
    for (size_t b = 0; b < blocks.size(); ++b) {
      const int64_t first = blocks[b].first;
      if (stop && stop(first)) {
        stopped = true;
        break;
      }
      const int64_t count = blocks[b].second;
      const int slot = static_cast<int>(b % 2);
      if (plan_.streaming) {
        search_streaming(first, count);
      } else {
        search_resident(first, count);
      }
      queue_results(first, count, slot);
      // The host finishes the previous block while the GPU works on this one.
      if (previous_first >= 0) {
        complete_block(previous_first, previous_count, previous_slot);
        progress.advance(previous_count);
        if (on_done) on_done(previous_first, previous_count);
      }
      previous_first = first;
      previous_count = count;
      previous_slot = slot;
    }
    if (previous_first >= 0) {
      complete_block(previous_first, previous_count, previous_slot);
      progress.advance(previous_count);
      if (on_done) on_done(previous_first, previous_count);
    }
    res_.synchronize();
    timer_.collect(true);
    for (int s = 0; s < kStageCount; ++s) {
      stats_.stage_ms[static_cast<size_t>(s)] = timer_.milliseconds(static_cast<Stage>(s));
    }
    progress.finish();
    return !stopped;
  }

 private:
  int64_t dims() const { return plan_.cols; }
  int64_t padded() const { return plan_.padded_cols; }
  cudaStream_t compute() const { return res_.compute_stream(); }
  cudaStream_t copy() const { return res_.copy_stream(); }

  void allocate() {
    DeviceStack& stack = res_.stack();
    stack.reserve(static_cast<size_t>(plan_.device_bytes));
    const int64_t n = plan_.rows;
    if (plan_.streaming) {
      for (int s = 0; s < 2; ++s) {
        slot_f32_[s] = stack.take<float>(static_cast<size_t>(plan_.db_block_rows * dims()));
        slot_half_[s] = stack.take<uint16_t>(static_cast<size_t>(plan_.db_block_rows * padded()));
        if (plan_.l2) slot_norms_[s] = stack.take<float>(static_cast<size_t>(plan_.db_block_rows));
      }
      query_f32_ = stack.take<float>(static_cast<size_t>(plan_.query_rows * dims()));
      query_half_ = stack.take<uint16_t>(static_cast<size_t>(plan_.query_rows * padded()));
    } else {
      db_half_ = stack.take<uint16_t>(static_cast<size_t>(n * padded()));
      if (plan_.l2) db_norms_ = stack.take<float>(static_cast<size_t>(n));
      if (plan_.fp32_rows_resident) db_f32_ = stack.take<float>(static_cast<size_t>(n * dims()));
      if (plan_.device_upload_staging()) {
        for (int s = 0; s < 2; ++s) {
          slot_f32_[s] = stack.take<float>(static_cast<size_t>(plan_.upload_rows * dims()));
        }
      }
    }
    const size_t queue_cells = static_cast<size_t>(plan_.query_rows * plan_.queue_length);
    run_values_ = stack.take<float>(queue_cells);
    run_indices_ = stack.take<int32_t>(queue_cells);
    tile_ = stack.take<float>(static_cast<size_t>(plan_.query_rows * plan_.tile_ld));
    if (plan_.rescore_on_device) {
      out_indices_ = stack.take<int64_t>(static_cast<size_t>(plan_.query_rows * plan_.k));
      out_similarity_ = stack.take<float>(static_cast<size_t>(plan_.query_rows * plan_.k));
    }
    pinned_ = res_.pinned_staging(static_cast<size_t>(plan_.pinned_bytes()));
  }

  std::byte* pinned_upload(int slot) const {
    return pinned_ + slot * plan_.pinned_upload_slot_bytes;
  }
  std::byte* pinned_result(int slot) const {
    return pinned_ + 2 * plan_.pinned_upload_slot_bytes + slot * plan_.pinned_result_slot_bytes;
  }

  /// Host rows [first, first + count) -> pinned slot -> device_dst, on the copy stream, and the
  /// compute stream made to wait for it. Reuses a slot only once its previous copy (pinned side)
  /// and conversion (device side) are done.
  void upload(int64_t first, int64_t count, float* device_dst, int slot) {
    const size_t bytes = static_cast<size_t>(count * dims()) * sizeof(float);
    upload_done_[slot].synchronize();
    std::byte* staging = pinned_upload(slot);
    const std::byte* source = reinterpret_cast<const std::byte*>(rows_.host + first * dims());
    // Pageable -> pinned on several cores: one core's memcpy would be slower than the link.
    parallel_memcpy(staging, source, bytes, tuning_.host_threads);
    converted_[slot].wait_on(copy());
    timer_.begin(Stage::upload, copy());
    UNFRIEND_CUDA_TRY(cudaMemcpyAsync(device_dst, staging, bytes, cudaMemcpyHostToDevice, copy()));
    timer_.end(Stage::upload, copy());
    upload_done_[slot].record(copy());
    upload_done_[slot].wait_on(compute());
    stats_.upload_bytes += static_cast<int64_t>(bytes);
  }

  void convert(const float* source, int64_t count, uint16_t* half_out, float* norms_out) {
    timer_.begin(Stage::convert, compute());
    UNFRIEND_CUDA_TRY(kernels::convert_rows(source, count, dims(), dims(), half_out, padded(),
                                            tuning_.precision == GemmPrecision::bf16
                                                ? kernels::ReducedType::bf16
                                                : kernels::ReducedType::fp16,
                                            scale_, norms_out, compute()));
    timer_.end(Stage::convert, compute());
  }

  void convert_resident(const float* source, int64_t first, int64_t count, int slot) {
    convert(source, count, db_half_.data() + first * padded(),
            plan_.l2 ? db_norms_.data() + first : nullptr);
    converted_[slot].record(compute());
  }

  void upload_resident() {
    for (int64_t first = 0, chunk = 0; first < plan_.rows; first += plan_.upload_rows, ++chunk) {
      const int64_t count = std::min(plan_.upload_rows, plan_.rows - first);
      const int slot = static_cast<int>(chunk % 2);
      float* destination =
          plan_.fp32_rows_resident ? db_f32_.data() + first * dims() : slot_f32_[slot].data();
      upload(first, count, destination, slot);
      convert_resident(destination, first, count, slot);
    }
  }

  void gemm(const uint16_t* queries, int64_t query_count, const uint16_t* database,
            int64_t database_count) {
    // Column-major view: C (database_count x query_count, ldc = tile_ld) =
    // database^T-as-stored (each row-major row is a column of length padded) x queries.
    // Row-major that is tile[q][c] = <query q, database row c>.
    const float alpha = 1.f, beta = 0.f;
    const cudaDataType_t type = tuning_.precision == GemmPrecision::bf16 ? CUDA_R_16BF : CUDA_R_16F;
    timer_.begin(Stage::gemm, compute());
    UNFRIEND_CUBLAS_TRY(cublasGemmEx(
        res_.cublas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(database_count),
        static_cast<int>(query_count), static_cast<int>(padded()), &alpha, database, type,
        static_cast<int>(padded()), queries, type, static_cast<int>(padded()), &beta, tile_.data(),
        CUDA_R_32F, static_cast<int>(plan_.tile_ld), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    timer_.end(Stage::gemm, compute());
    ++stats_.gemm_tiles;
  }

  void select(int64_t query_first, int64_t query_count, int64_t column_first, int64_t column_count,
              const float* column_norms, bool seeded) {
    kernels::SelectTileArgs args;
    args.tile = tile_.data();
    args.ld = plan_.tile_ld;
    args.rows = static_cast<int>(query_count);
    args.cols = static_cast<int>(column_count);
    args.row_base = query_first;
    args.col_base = column_first;
    args.skip_self = true;
    args.col_sq_norms = column_norms;
    args.run_values = run_values_.data();
    args.run_indices = run_indices_.data();
    args.seeded = seeded;
    timer_.begin(Stage::select, compute());
    UNFRIEND_CUDA_TRY(kernels::select_tile(args, plan_.queue_length, compute()));
    timer_.end(Stage::select, compute());
  }

  void search_resident(int64_t first, int64_t count) {
    const uint16_t* queries = db_half_.data() + first * padded();
    for (int64_t column = 0; column < plan_.rows; column += plan_.tile_cols) {
      const int64_t columns = std::min(plan_.tile_cols, plan_.rows - column);
      gemm(queries, count, db_half_.data() + column * padded(), columns);
      select(first, count, column, columns, plan_.l2 ? db_norms_.data() + column : nullptr,
             column > 0);
    }
  }

  void search_streaming(int64_t first, int64_t count) {
    // The query block: a plain (pageable) copy on the compute stream, once per block.
    timer_.begin(Stage::upload, compute());
    UNFRIEND_CUDA_TRY(cudaMemcpyAsync(query_f32_.data(), rows_.host + first * dims(),
                                      static_cast<size_t>(count * dims()) * sizeof(float),
                                      cudaMemcpyHostToDevice, compute()));
    timer_.end(Stage::upload, compute());
    stats_.upload_bytes += count * dims() * static_cast<int64_t>(sizeof(float));
    convert(query_f32_.data(), count, query_half_.data(), nullptr);
    for (int64_t block_first = 0; block_first < plan_.rows; block_first += plan_.db_block_rows) {
      const int64_t block_rows = std::min(plan_.db_block_rows, plan_.rows - block_first);
      const int slot = static_cast<int>(stream_blocks_++ % 2);
      upload(block_first, block_rows, slot_f32_[slot].data(), slot);
      convert(slot_f32_[slot].data(), block_rows, slot_half_[slot].data(),
              plan_.l2 ? slot_norms_[slot].data() : nullptr);
      converted_[slot].record(compute());
      for (int64_t column = 0; column < block_rows; column += plan_.tile_cols) {
        const int64_t columns = std::min(plan_.tile_cols, block_rows - column);
        gemm(query_half_.data(), count, slot_half_[slot].data() + column * padded(), columns);
        select(first, count, block_first + column, columns,
               plan_.l2 ? slot_norms_[slot].data() + column : nullptr,
               block_first > 0 || column > 0);
      }
    }
  }

  /// Queues the block's results into pinned result slot `slot`: re-scored final rows, or the
  /// candidate indices for the host.
  void queue_results(int64_t first, int64_t count, int slot) {
    std::byte* pinned = pinned_result(slot);
    if (plan_.rescore_on_device) {
      const float* fp32_rows = rows_.device != nullptr ? rows_.device : db_f32_.data();
      kernels::RescoreArgs args;
      args.queries = fp32_rows + first * dims();
      args.database = fp32_rows;
      args.database_rows = plan_.rows;
      args.dims = dims();
      args.rows = static_cast<int>(count);
      args.candidates = run_indices_.data();
      args.score =
          metric_ == Metric::l2 ? kernels::ScoreKind::negative_squared_l2 : kernels::ScoreKind::dot;
      args.k = plan_.k;
      args.out_indices = out_indices_.data();
      args.out_similarity = out_similarity_.data();
      timer_.begin(Stage::rescore, compute());
      UNFRIEND_CUDA_TRY(kernels::rescore_candidates(args, plan_.queue_length, compute()));
      timer_.end(Stage::rescore, compute());
      const size_t cells = static_cast<size_t>(count * plan_.k);
      timer_.begin(Stage::download, compute());
      UNFRIEND_CUDA_TRY(cudaMemcpyAsync(pinned, out_indices_.data(), cells * sizeof(int64_t),
                                        cudaMemcpyDeviceToHost, compute()));
      UNFRIEND_CUDA_TRY(cudaMemcpyAsync(pinned + similarity_offset(), out_similarity_.data(),
                                        cells * sizeof(float), cudaMemcpyDeviceToHost, compute()));
      timer_.end(Stage::download, compute());
    } else {
      timer_.begin(Stage::download, compute());
      UNFRIEND_CUDA_TRY(
          cudaMemcpyAsync(pinned, run_indices_.data(),
                          static_cast<size_t>(count * plan_.queue_length) * sizeof(int32_t),
                          cudaMemcpyDeviceToHost, compute()));
      timer_.end(Stage::download, compute());
    }
    results_ready_[slot].record(compute());
  }

  size_t similarity_offset() const {
    // Matches the plan's result slot: indices block (aligned), then similarities.
    return StackArena::aligned(static_cast<size_t>(plan_.query_rows * plan_.k) * sizeof(int64_t));
  }

  void complete_block(int64_t first, int64_t count, int slot) {
    results_ready_[slot].synchronize();
    timer_.collect(false);
    const std::byte* pinned = pinned_result(slot);
    int64_t* neighbors = out_.neighbors.data() + first * plan_.k;
    float* similarity = out_.similarity.data() + first * plan_.k;
    const size_t cells = static_cast<size_t>(count * plan_.k);
    if (plan_.rescore_on_device) {
      std::memcpy(neighbors, pinned, cells * sizeof(int64_t));
      std::memcpy(similarity, pinned + similarity_offset(), cells * sizeof(float));
      return;
    }
    const auto start = Clock::now();
    rescore_on_host(MatrixView{rows_.host, plan_.rows, plan_.cols}, metric_, first, count,
                    reinterpret_cast<const int32_t*>(pinned), plan_.queue_length, plan_.k,
                    neighbors, similarity, tuning_.host_threads);
    stats_.host_rescore_seconds += seconds_since(start);
  }

  GpuResources& res_;
  const KnnRows& rows_;
  const KnnPlan& plan_;
  Metric metric_;
  const CudaTuning& tuning_;
  float scale_;
  KnnGraph& out_;
  GpuKnnStats& stats_;
  StageTimer timer_;
  int64_t stream_blocks_ = 0;
  std::byte* pinned_ = nullptr;

  // Device buffers (stack order = declaration order; released in reverse).
  Scratch<uint16_t> db_half_;
  Scratch<float> db_norms_;
  Scratch<float> db_f32_;
  Scratch<float> slot_f32_[2];
  Scratch<uint16_t> slot_half_[2];
  Scratch<float> slot_norms_[2];
  Scratch<float> query_f32_;
  Scratch<uint16_t> query_half_;
  Scratch<float> run_values_;
  Scratch<int32_t> run_indices_;
  Scratch<float> tile_;
  Scratch<int64_t> out_indices_;
  Scratch<float> out_similarity_;

  CudaEvent upload_done_[2];
  CudaEvent converted_[2];
  CudaEvent results_ready_[2];
  // Last member: destroyed first, so queued work finishes before any buffer or event goes.
  GpuResources::SyncGuard guard_;
};

}  // namespace

float conversion_scale(float max_abs) {
  if (!(max_abs > 0) || !std::isfinite(max_abs)) return 1.f;
  int exponent = 0;
  std::frexp(max_abs, &exponent);  // max_abs < 2^exponent
  return std::ldexp(1.f, std::clamp(14 - exponent, -126, 127));
}

namespace {

/// Checkpoint units of the GPU build: consecutive row ranges of query_block_rows rows, whatever
/// query block the memory plan chose (so that a unit means the same on another budget). A unit
/// holds its rows' k_found neighbours, before any padding to k.
class GpuUnits {
 public:
  GpuUnits(KnnCheckpoint* checkpoint, int64_t rows, int64_t unit_rows, KnnGraph& found)
      : checkpoint_(checkpoint),
        rows_(rows),
        unit_rows_(std::max<int64_t>(1, std::min(unit_rows, rows))),
        units_((rows + unit_rows_ - 1) / unit_rows_),
        found_(found),
        done_(static_cast<size_t>(units_), 0) {}

  int64_t units() const { return units_; }
  int64_t unit_rows() const { return unit_rows_; }

  /// Reads every saved unit into the graph.
  void load() {
    if (checkpoint_ == nullptr) return;
    KnnUnit unit;
    for (int64_t u = 0; u < units_; ++u) {
      if (!checkpoint_->load(u, unit) || !fits(u, unit)) continue;
      const size_t k = static_cast<size_t>(found_.k);
      const size_t first = static_cast<size_t>(first_row(u));
      std::copy(unit.neighbors.begin(), unit.neighbors.end(), found_.neighbors.begin() + first * k);
      std::copy(unit.similarity.begin(), unit.similarity.end(),
                found_.similarity.begin() + first * k);
      done_[static_cast<size_t>(u)] = 1;
    }
  }

  /// The query blocks to search, of at most `query_rows` rows. Without a checkpoint, all rows
  /// in plain steps. With one, the units not read back, each split on its own, so that every
  /// unit starts a block: the build can stop exactly at unit boundaries.
  std::vector<std::pair<int64_t, int64_t>> blocks(int64_t query_rows) const {
    std::vector<std::pair<int64_t, int64_t>> out;
    if (checkpoint_ == nullptr) {
      for (int64_t first = 0; first < rows_; first += query_rows) {
        out.emplace_back(first, std::min(query_rows, rows_ - first));
      }
      return out;
    }
    for (int64_t u = 0; u < units_; ++u) {
      if (done_[static_cast<size_t>(u)]) continue;
      const int64_t end = first_row(u) + rows_of(u);
      for (int64_t first = first_row(u); first < end; first += query_rows) {
        out.emplace_back(first, std::min(query_rows, end - first));
      }
    }
    return out;
  }

  /// Whether a block starting at row `first` starts a unit (where a stop may happen).
  bool starts_unit(int64_t first) const { return first % unit_rows_ == 0; }

  /// Called as each block is finished (in row order): saves every unit now complete.
  void block_done(int64_t first, int64_t count) {
    if (checkpoint_ == nullptr) return;
    const int64_t end = first + count;
    while (next_ < units_ &&
           (done_[static_cast<size_t>(next_)] || first_row(next_) + rows_of(next_) <= end)) {
      if (!done_[static_cast<size_t>(next_)]) {
        save(next_);
        done_[static_cast<size_t>(next_)] = 1;
      }
      ++next_;
    }
  }

  std::string saved() const { return units_saved(*checkpoint_, units_); }

 private:
  int64_t first_row(int64_t u) const { return u * unit_rows_; }
  int64_t rows_of(int64_t u) const { return std::min(unit_rows_, rows_ - first_row(u)); }

  bool fits(int64_t u, const KnnUnit& unit) const {
    std::vector<int64_t> rows(static_cast<size_t>(rows_of(u)));
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = first_row(u) + static_cast<int64_t>(i);
    return unit_fits(unit, rows.data(), rows_of(u), found_);
  }

  void save(int64_t u) {
    const size_t k = static_cast<size_t>(found_.k);
    const int64_t first = first_row(u);
    const int64_t count = rows_of(u);
    unit_.rows.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) unit_.rows[static_cast<size_t>(i)] = first + i;
    unit_.width = found_.k;
    unit_.neighbors.assign(found_.neighbors.begin() + static_cast<size_t>(first) * k,
                           found_.neighbors.begin() + static_cast<size_t>(first + count) * k);
    unit_.similarity.assign(found_.similarity.begin() + static_cast<size_t>(first) * k,
                            found_.similarity.begin() + static_cast<size_t>(first + count) * k);
    checkpoint_->save(u, unit_);
  }

  KnnCheckpoint* checkpoint_;
  int64_t rows_;
  int64_t unit_rows_;
  int64_t units_;
  KnnGraph& found_;
  std::vector<uint8_t> done_;
  int64_t next_ = 0;
  KnnUnit unit_;
};

}  // namespace

KnnGraph gpu_knn_graph(GpuResources& resources, const KnnRows& rows, const KnnParams& params,
                       const CudaTuning& tuning, GpuKnnStats* stats, KnnCheckpoint* checkpoint) {
  const auto start = Clock::now();
  GpuKnnStats local_stats;
  GpuKnnStats& st = stats != nullptr ? *stats : local_stats;
  st = GpuKnnStats();
  validate_params(rows, params);
  if (rows.rows == 0) {
    KnnGraph empty;
    empty.k = params.k;
    return empty;
  }
  resources.make_current();
  const float max_abs =
      rows.host != nullptr
          ? host_abs_max_checked(rows.host, rows.rows, rows.cols, tuning.host_threads)
          : device_abs_max_checked(resources, rows.device, rows.rows * rows.cols);
  // With k >= rows a row has only rows - 1 neighbours: search for those, pad afterwards.
  const int k_found = static_cast<int>(std::min<int64_t>(params.k, rows.rows - 1));
  if (k_found == 0) {
    st.seconds = seconds_since(start);
    return padded_graph(rows.rows, params.k);
  }

  KnnPlanInput input;
  input.rows = rows.rows;
  input.cols = rows.cols;
  input.k = k_found;
  input.metric = params.metric;
  input.budget_bytes = resources.planning_budget(tuning);
  input.rows_on_device = rows.device != nullptr;
  st.plan = plan_knn(input, tuning);
  st.scale = conversion_scale(max_abs);
  log_info("knn cuda plan: " + st.plan.describe());

  KnnGraph found;
  found.rows = rows.rows;
  found.k = k_found;
  found.neighbors.resize(static_cast<size_t>(rows.rows * k_found));
  found.similarity.resize(static_cast<size_t>(rows.rows * k_found));
  GpuUnits units(checkpoint, rows.rows, params.query_block_rows, found);
  if (checkpoint != nullptr) {
    checkpoint->begin(
        fmt::format("cuda exact: {} x {} rows, k={} (finding {}), metric {}, {} products, "
                    "units of {} rows",
                    rows.rows, rows.cols, params.k, k_found, to_string(params.metric),
                    tuning.precision == GemmPrecision::bf16 ? "bf16" : "fp16", units.unit_rows()),
        units.units());
    units.load();
  }
  const std::vector<std::pair<int64_t, int64_t>> blocks = units.blocks(st.plan.query_rows);
  if (!blocks.empty()) {
    if (checkpoint != nullptr && checkpoint->stop_requested()) throw StopRequested(units.saved());
    bool finished = false;
    {
      KnnRun run(resources, rows, st.plan, params.metric, tuning, st.scale, found, st);
      std::function<bool(int64_t)> stop;
      if (checkpoint != nullptr) {
        stop = [checkpoint, &units](int64_t first) {
          return units.starts_unit(first) && checkpoint->stop_requested();
        };
      }
      finished = run.run(
          blocks, stop, [&units](int64_t first, int64_t count) { units.block_done(first, count); });
    }
    if (!finished) throw StopRequested(units.saved());
  }
  if (k_found == params.k) {
    st.seconds = seconds_since(start);
    return found;
  }
  KnnGraph graph = padded_graph(rows.rows, params.k);
  for (int64_t i = 0; i < rows.rows; ++i) {
    std::copy_n(found.neighbors_of(i), k_found, graph.neighbors.data() + i * params.k);
    std::copy_n(found.similarity_of(i), k_found, graph.similarity.data() + i * params.k);
  }
  st.seconds = seconds_since(start);
  return graph;
}

}  // namespace unfriend::gpu
