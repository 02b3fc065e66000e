// An owning CUDA event without timing (the cheap kind used for stream-to-stream and
// stream-to-host ordering). Move-only.
#pragma once

#include <cuda_runtime_api.h>

#include <utility>

#include "cuda/cuda_error.h"

namespace unfriend::gpu {

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

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace unfriend::gpu
