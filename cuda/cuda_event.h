// An owning CUDA event without timing (the cheap kind used for stream-to-stream and
// stream-to-host ordering). Move-only.
#pragma once

#include <cuda_runtime_api.h>

#include <utility>

#include "cuda/cuda_error.h"

namespace unfriend::gpu {

/// Whether the work before `event`'s last record has completed, without waiting. "Not ready" is
/// not an error, but the runtime may keep it as the last error, which the next launcher's
/// cudaGetLastError() would then report: it is cleared here.
inline bool event_completed(cudaEvent_t event) {
  const cudaError_t status = cudaEventQuery(event);
  if (status == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  UNFRIEND_CUDA_TRY(status);
  return true;
}

class CudaEvent {
 public:
  CudaEvent() { UNFRIEND_CUDA_TRY(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming)); }
  ~CudaEvent() {
    if (event_ != nullptr) UNFRIEND_CUDA_TRY_NO_THROW(cudaEventDestroy(event_));
  }
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  CudaEvent(CudaEvent&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  CudaEvent& operator=(CudaEvent&&) = delete;

  cudaEvent_t get() const { return event_; }
  void record(cudaStream_t stream) { UNFRIEND_CUDA_TRY(cudaEventRecord(event_, stream)); }
  /// Makes `stream` wait for the last record (a no-op before the first record).
  void wait_on(cudaStream_t stream) const {
    UNFRIEND_CUDA_TRY(cudaStreamWaitEvent(stream, event_, 0));
  }
  /// Blocks the host until the last record has completed (at once before the first record).
  void synchronize() const { UNFRIEND_CUDA_TRY(cudaEventSynchronize(event_)); }
  /// Whether the last record has completed (see event_completed).
  bool completed() const { return event_completed(event_); }

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace unfriend::gpu
