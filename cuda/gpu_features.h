// Features streamed into GPU memory and preprocessed there: a reader thread fills pinned
// blocks, the copy stream uploads each into the device-resident rows, the compute stream checks
// it (after an event) while the next block is read and copied; then compaction of the valid
// rows, statistics, standardisation and normalisation on the device, with the host path's
// results bit for bit. The rows stay on the device for the kNN search.
#pragma once

#include <cstdint>
#include <utility>

#include "cuda/cuda_tuning.h"
#include "cuda/device_buffer.h"
#include "cuda/gpu_resources.h"
#include "host/core/features.h"

namespace unfriend::gpu {

/// Prepared rows held in device memory (fp32, rows x cols, contiguous), counted against the
/// resources' memory budget while they live.
class DeviceRows final : public DeviceFeatures {
 public:
  DeviceRows(DeviceBuffer<float> buffer, int64_t rows, int64_t cols, int device,
             GpuResources::ResidentBytes resident)
      : buffer_(std::move(buffer)),
        rows_(rows),
        cols_(cols),
        device_(device),
        resident_(std::move(resident)) {}

  const float* data() const { return buffer_.data(); }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  /// Synchronous copy to host memory (rows x cols floats).
  void download(float* out) const override;

 private:
  DeviceBuffer<float> buffer_;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  int device_ = 0;
  GpuResources::ResidentBytes resident_;
};

/// Device bytes gpu_prepare_features needs for `rows` x `cols` input rows besides the rows
/// themselves (statuses, statistics partials, compaction and norm buffers).
int64_t prepare_scratch_bytes(int64_t rows, int64_t cols, int64_t gather_rows);

/// Backend::prepare_features on the GPU. Returns false, having read nothing and logged one
/// line saying why, when the rows and the smallest kNN plan with them on the device do not fit
/// the budget (min of the resources' budget and tuning.memory_budget_bytes when set), or for
/// inputs the host handles as well (no rows or no columns). Otherwise fills `out` exactly as
/// prepare_features_on_host would, except that out->device holds the rows (a DeviceRows) and
/// out->matrix stays empty; the same InputError for an invalid row. Stages: "read" (reader
/// thread busy time, float32 bytes), "upload" (host-to-device copies, CUDA event time),
/// "check" (row status kernels) and "preprocess" (compaction, statistics, standardisation,
/// normalisation kernels, event time; bytes: the assessed matrix once, as on the host).
bool gpu_prepare_features(GpuResources& resources, const RowSource& source,
                          const PrepareOptions& options, const CudaTuning& tuning,
                          PreparedFeatures* out);

}  // namespace unfriend::gpu
