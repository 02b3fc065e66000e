#include "cuda/gpu_features.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <utility>
#include <vector>

#include "cuda/cuda_error.h"
#include "cuda/cuda_event.h"
#include "cuda/device_stack.h"
#include "cuda/gpu_knn.h"
#include "cuda/knn_plan.h"
#include "host/core/block_stream.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "kernels/gather_rows.h"
#include "kernels/row_status.h"
#include "kernels/sequential_row_norms.h"
#include "kernels/standardize_rows.h"

namespace unfriend::gpu {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double gib(double bytes) { return bytes / double(int64_t{1} << 30); }

// Pinned read slots: the reader fills one while the copy stream uploads up to two.
constexpr int kPinnedSlots = 3;
// The temporary buffer valid rows pass through on their way down during compaction.
constexpr int64_t kGatherBytes = int64_t{64} << 20;

int64_t gather_rows_for(int64_t rows, int64_t cols) {
  return std::max<int64_t>(1, std::min(rows, kGatherBytes / (cols * int64_t{sizeof(float)})));
}

// Busy time of one stage on one stream: a timing event pair around each piece of its work,
// summed once the work has finished (elapsed times are only defined then).
class StreamBusyTime {
 public:
  StreamBusyTime() = default;
  ~StreamBusyTime() {
    for (cudaEvent_t e : events_) UNFRIEND_CUDA_TRY_NO_THROW(cudaEventDestroy(e));
  }
  StreamBusyTime(const StreamBusyTime&) = delete;
  StreamBusyTime& operator=(const StreamBusyTime&) = delete;

  void begin(cudaStream_t stream) { open_ = recorded(stream); }
  void end(cudaStream_t stream) { pairs_.emplace_back(open_, recorded(stream)); }

  /// Call after the stream's work has completed.
  double seconds() const {
    double ms = 0;
    for (const auto& [start, stop] : pairs_) {
      float elapsed = 0;
      UNFRIEND_CUDA_TRY(cudaEventElapsedTime(&elapsed, start, stop));
      ms += elapsed;
    }
    return ms / 1e3;
  }

 private:
  cudaEvent_t recorded(cudaStream_t stream) {
    cudaEvent_t event = nullptr;
    UNFRIEND_CUDA_TRY(cudaEventCreate(&event));
    events_.push_back(event);
    UNFRIEND_CUDA_TRY(cudaEventRecord(event, stream));
    return event;
  }

  std::vector<cudaEvent_t> events_;
  std::vector<std::pair<cudaEvent_t, cudaEvent_t>> pairs_;
  cudaEvent_t open_ = nullptr;
};

// Why the rows cannot be prepared on the device with room left for the kNN search, or "".
std::string why_not_on_device(int64_t rows, int64_t cols, int64_t scratch_bytes, int64_t budget,
                              const PrepareOptions& options, const CudaTuning& tuning) {
  const int64_t rows_bytes = rows * cols * int64_t{sizeof(float)};
  if (rows > kMaxGpuRows) {
    return fmt::format("{} rows are more than one GPU search indexes ({})", rows, kMaxGpuRows);
  }
  if (rows_bytes + scratch_bytes > budget) {
    return fmt::format(
        "the rows take {:.2f} GiB and their preparation {:.2f} GiB more, over the "
        "GPU budget of {:.2f} GiB",
        gib(double(rows_bytes)), gib(double(scratch_bytes)), gib(double(budget)));
  }
  // The smallest kNN plan with the rows resident must fit beside them (k unknown: k = 1).
  const int64_t k = std::min<int64_t>(options.knn_k > 0 ? options.knn_k : 1, rows - 1);
  if (k < 1 || k > 256) return std::string();  // trivial, or refused by the search itself
  KnnPlanInput input;
  input.rows = rows;
  input.cols = cols;
  input.k = static_cast<int>(k);
  input.metric = options.metric;
  input.budget_bytes = budget - rows_bytes;
  input.rows_on_device = true;
  try {
    plan_knn(input, tuning);
  } catch (const RuntimeFailure& e) {
    return fmt::format("with the rows on the device ({:.2f} GiB) the kNN search does not fit: {}",
                       gib(double(rows_bytes)), e.what());
  }
  return std::string();
}

}  // namespace

void DeviceRows::download(float* out) const {
  if (rows_ * cols_ == 0) return;
  UNFRIEND_CUDA_TRY(cudaSetDevice(device_));
  UNFRIEND_CUDA_TRY(cudaMemcpy(out, buffer_.data(),
                               static_cast<size_t>(rows_ * cols_) * sizeof(float),
                               cudaMemcpyDeviceToHost));
}

int64_t prepare_scratch_bytes(int64_t rows, int64_t cols, int64_t gather_rows) {
  const auto bytes = [](int64_t count, size_t element) {
    return static_cast<size_t>(count) * element;
  };
  return static_cast<int64_t>(DeviceStack::footprint({
      bytes(rows, sizeof(int32_t)),              // row statuses
      bytes(cols, sizeof(double)),               // location
      bytes(cols, sizeof(double)),               // scale
      bytes(gather_rows, sizeof(int64_t)),       // compaction: source rows
      bytes(gather_rows * cols, sizeof(float)),  // compaction: rows in transit
      bytes(rows, sizeof(float)),                // squared norms
  }));
}

bool gpu_prepare_features(GpuResources& resources, const RowSource& source,
                          const PrepareOptions& options, const CudaTuning& tuning,
                          PreparedFeatures* out) {
  const auto start = Clock::now();
  const int64_t rows = source.rows(), cols = source.cols();
  if (rows == 0 || cols == 0) return false;  // nothing a GPU would speed up
  resources.make_current();
  // The rows are an allocation of their own: give back the stack region earlier calls grew, so
  // that the memory it held is there for them (the stack grows again within the budget).
  resources.stack().release_region();
  const int64_t budget = resources.planning_budget(tuning);
  const int64_t gather = gather_rows_for(rows, cols);
  const int64_t scratch_bytes = prepare_scratch_bytes(rows, cols, gather);
  const std::string why = why_not_on_device(rows, cols, scratch_bytes, budget, options, tuning);
  if (!why.empty()) {
    log_info("features prepared on the host: " + why);
    return false;
  }

  const int64_t values = rows * cols;
  DeviceBuffer<float> device_rows;
  try {
    device_rows.reset(static_cast<size_t>(values));
  } catch (const RuntimeFailure& e) {
    log_info(
        fmt::format("features prepared on the host: no device memory for the rows ({})", e.what()));
    return false;
  }
  GpuResources::ResidentBytes resident = resources.hold_resident(values * int64_t{sizeof(float)});
  DeviceStack& stack = resources.stack();
  stack.reserve(static_cast<size_t>(scratch_bytes));
  // Taken in the order prepare_scratch_bytes counts them.
  Scratch<int32_t> status = stack.take<int32_t>(static_cast<size_t>(rows));
  Scratch<double> location_device = stack.take<double>(static_cast<size_t>(cols));
  Scratch<double> scale_device = stack.take<double>(static_cast<size_t>(cols));
  Scratch<int64_t> gather_index = stack.take<int64_t>(static_cast<size_t>(gather));
  Scratch<float> gather_temp = stack.take<float>(static_cast<size_t>(gather * cols));
  Scratch<float> norms_device = stack.take<float>(static_cast<size_t>(rows));
  // Host memory the queued copies read from, kept until the guard below has waited.
  std::vector<double> location, scale;
  // After every buffer the streams use: on an exception, queued work finishes before they go.
  GpuResources::SyncGuard sync(resources);
  const cudaStream_t copy = resources.copy_stream(), compute = resources.compute_stream();
  StreamBusyTime upload_time, check_time, preprocess_time;

  // Stream the rows in: read (reader thread) -> pinned slot -> copy stream -> event -> status
  // kernel on the compute stream, each block overlapping the next one's read.
  int64_t block_rows = options.block_rows > 0 ? options.block_rows : kDefaultPrepareBlockRows;
  block_rows = std::max<int64_t>(1, std::min(block_rows, rows));
  const size_t slot_floats = static_cast<size_t>(block_rows * cols);
  float* pinned = reinterpret_cast<float*>(
      resources.pinned_staging(kPinnedSlots * slot_floats * sizeof(float)));
  std::vector<float*> slots;
  for (int s = 0; s < kPinnedSlots; ++s) slots.push_back(pinned + s * slot_floats);
  std::array<CudaEvent, kPinnedSlots> copied;
  double read_seconds = 0, bytes_read = 0;

  // The statuses of rows [0, count) on the host (synchronising). Unless invalid rows are
  // skipped, the first invalid one is the host path's InputError, value and all.
  auto checked_statuses = [&](int64_t count) {
    std::vector<int32_t> host_status(static_cast<size_t>(count));
    if (count == 0) return host_status;
    UNFRIEND_CUDA_TRY(cudaMemcpyAsync(host_status.data(), status.data(),
                                      host_status.size() * sizeof(int32_t), cudaMemcpyDeviceToHost,
                                      compute));
    UNFRIEND_CUDA_TRY(cudaStreamSynchronize(compute));
    if (options.skip_invalid) return host_status;
    for (int64_t r = 0; r < count; ++r) {
      const int32_t row_status = host_status[static_cast<size_t>(r)];
      if (row_status == kernels::kRowValid) continue;
      float value = 0;
      if (row_status >= 0) {
        UNFRIEND_CUDA_TRY(cudaMemcpyAsync(&value, device_rows.data() + r * cols + row_status,
                                          sizeof(float), cudaMemcpyDeviceToHost, compute));
        UNFRIEND_CUDA_TRY(cudaStreamSynchronize(compute));
      }
      const int64_t id = options.ids.empty() ? r : options.ids[static_cast<size_t>(r)];
      throw InputError(
          invalid_row_message(source.name(), r, id, row_status >= 0 ? row_status : -1, value));
    }
    return host_status;
  };

  int64_t uploaded_rows = 0;
  {
    BlockStream stream(source, block_rows, slots);
    Progress progress("read features", rows);
    std::deque<BlockStream::Block> in_flight;
    // A slot goes back to the reader only once its copy has completed.
    auto retire_oldest = [&] {
      const BlockStream::Block& oldest = in_flight.front();
      copied[static_cast<size_t>(oldest.slot)].synchronize();
      stream.release(oldest.slot);
      in_flight.pop_front();
    };
    BlockStream::Block block;
    for (;;) {
      try {
        if (!stream.next(block)) break;
      } catch (const InputError&) {
        // A block that cannot be read: the host path would have stopped earlier at an invalid
        // row in the blocks before it, so that one is reported first.
        checked_statuses(uploaded_rows);
        throw;
      }
      float* destination = device_rows.data() + block.begin * cols;
      upload_time.begin(copy);
      UNFRIEND_CUDA_TRY(cudaMemcpyAsync(destination, block.data,
                                        static_cast<size_t>(block.rows * cols) * sizeof(float),
                                        cudaMemcpyHostToDevice, copy));
      upload_time.end(copy);
      CudaEvent& event = copied[static_cast<size_t>(block.slot)];
      event.record(copy);
      event.wait_on(compute);
      check_time.begin(compute);
      UNFRIEND_CUDA_TRY(
          kernels::row_status(destination, block.rows, cols, status.data() + block.begin, compute));
      check_time.end(compute);
      in_flight.push_back(block);
      uploaded_rows = block.begin + block.rows;
      progress.advance(block.rows);
      // The next block's slot must not be one this thread holds: at most slots - 1 in flight.
      while (!in_flight.empty() &&
             (in_flight.size() > size_t{kPinnedSlots - 1} ||
              copied[static_cast<size_t>(in_flight.front().slot)].completed())) {
        retire_oldest();
      }
    }
    while (!in_flight.empty()) retire_oldest();
    progress.finish();
    read_seconds = stream.read_seconds();
    bytes_read = stream.bytes_read();
  }

  // Which rows are assessed: the host path's decisions, from the statuses.
  const std::vector<int32_t> host_status = checked_statuses(rows);
  PreparedFeatures result;
  result.cols = cols;
  result.input_row.reserve(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    if (host_status[static_cast<size_t>(r)] == kernels::kRowValid) {
      result.input_row.push_back(r);
    } else {
      result.invalid_rows.push_back(r);
    }
  }
  const int64_t kept = static_cast<int64_t>(result.input_row.size());
  result.rows = kept;

  // Compaction, in order: destination row o <= source row input_row[o], so moving a bounded
  // run of rows at a time through gather_temp never overwrites a row still to be read. Rows
  // before the first invalid one are already in place.
  int64_t in_place = 0;
  while (in_place < kept && result.input_row[static_cast<size_t>(in_place)] == in_place) {
    ++in_place;
  }
  for (int64_t o = in_place; o < kept; o += gather) {
    const int64_t count = std::min(gather, kept - o);
    UNFRIEND_CUDA_TRY(cudaMemcpyAsync(gather_index.data(), result.input_row.data() + o,
                                      static_cast<size_t>(count) * sizeof(int64_t),
                                      cudaMemcpyHostToDevice, compute));
    preprocess_time.begin(compute);
    UNFRIEND_CUDA_TRY(kernels::gather_rows(device_rows.data(), cols, gather_index.data(), count,
                                           gather_temp.data(), compute));
    UNFRIEND_CUDA_TRY(cudaMemcpyAsync(device_rows.data() + o * cols, gather_temp.data(),
                                      static_cast<size_t>(count * cols) * sizeof(float),
                                      cudaMemcpyDeviceToDevice, compute));
    preprocess_time.end(compute);
    // The next run's indices overwrite gather_index: wait until this run has used them.
    UNFRIEND_CUDA_TRY(cudaStreamSynchronize(compute));
  }

  // Statistics: the sampled rows come to the host, where robust_feature_stats (the host
  // path's own code) takes them; the device then standardises with standardized_value.
  if (options.standardize) {
    const int64_t stride = stats_sample_stride(kept), sampled = stats_sample_rows(kept);
    std::vector<float> sample(static_cast<size_t>(sampled * cols));
    if (sampled > 0) {
      const size_t row_bytes = static_cast<size_t>(cols) * sizeof(float);
      UNFRIEND_CUDA_TRY(cudaMemcpy2DAsync(
          sample.data(), row_bytes, device_rows.data(), row_bytes * static_cast<size_t>(stride),
          row_bytes, static_cast<size_t>(sampled), cudaMemcpyDeviceToHost, compute));
      UNFRIEND_CUDA_TRY(cudaStreamSynchronize(compute));
    }
    result.stats = robust_feature_stats(std::move(sample), sampled, cols);
    if (standardisation_applies(result.stats, cols)) {
      location = result.stats.location;
      scale = result.stats.scale;
      UNFRIEND_CUDA_TRY(cudaMemcpyAsync(location_device.data(), location.data(),
                                        location.size() * sizeof(double), cudaMemcpyHostToDevice,
                                        compute));
      UNFRIEND_CUDA_TRY(cudaMemcpyAsync(scale_device.data(), scale.data(),
                                        scale.size() * sizeof(double), cudaMemcpyHostToDevice,
                                        compute));
      preprocess_time.begin(compute);
      UNFRIEND_CUDA_TRY(kernels::standardize_rows(device_rows.data(), kept, cols,
                                                  location_device.data(), scale_device.data(),
                                                  options.clip, compute));
      preprocess_time.end(compute);
    } else {
      result.compared_unstandardised = true;
    }
  }
  if (options.metric == Metric::cosine) {
    preprocess_time.begin(compute);
    UNFRIEND_CUDA_TRY(kernels::normalize_rows_sequential(device_rows.data(), kept, cols, compute));
    preprocess_time.end(compute);
  }
  if (options.metric == Metric::inner_product) {
    preprocess_time.begin(compute);
    UNFRIEND_CUDA_TRY(kernels::squared_norms_sequential(device_rows.data(), kept, cols,
                                                        norms_device.data(), compute));
    preprocess_time.end(compute);
    result.squared_norms.resize(static_cast<size_t>(kept));
    if (kept > 0) {
      UNFRIEND_CUDA_TRY(cudaMemcpyAsync(result.squared_norms.data(), norms_device.data(),
                                        result.squared_norms.size() * sizeof(float),
                                        cudaMemcpyDeviceToHost, compute));
    }
  }
  resources.synchronize();

  const double input_bytes = double(values) * sizeof(float);
  result.stages.push_back(StageRate{"read", bytes_read, read_seconds});
  result.stages.push_back(StageRate{"upload", input_bytes, upload_time.seconds()});
  result.stages.push_back(StageRate{"check", input_bytes, check_time.seconds()});
  // Bytes: the assessed matrix once, however many passes the kernels make over it (as the host
  // path counts it).
  result.stages.push_back(
      StageRate{"preprocess", double(kept * cols) * sizeof(float), preprocess_time.seconds()});
  result.bytes_read = bytes_read;
  result.device = std::make_shared<DeviceRows>(std::move(device_rows), kept, cols,
                                               resources.device(), std::move(resident));
  result.seconds = seconds_since(start);
  *out = std::move(result);
  return true;
}

}  // namespace unfriend::gpu
