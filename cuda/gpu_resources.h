// Everything one device needs, owned in one place (after FAISS's StandardGpuResources and
// RAFT's resources handle): the device id, a compute stream, a copy stream, a cuBLAS handle
// bound to the compute stream with its own workspace, the memory budget, the stack allocator
// for temporaries and a pinned host staging buffer. Not thread-safe: one user at a time.
#pragma once

#include <cublas_api.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "cuda/cuda_tuning.h"
#include "cuda/device_buffer.h"
#include "cuda/device_stack.h"

namespace unfriend::gpu {

class GpuResources {
 public:
  /// Share of the device's free memory (at construction) that work may plan with: the rest is
  /// left to the driver, cuBLAS's kernels and other processes.
  static constexpr double kFreeMemoryShare = 0.8;
  /// cuBLAS workspace (NVIDIA recommends 32 MiB on Hopper); given to cuBLAS explicitly so it
  /// never allocates behind our back.
  static constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;

  /// Selects `device`, creates the streams and the cuBLAS handle, and fixes the budget:
  /// free memory * kFreeMemoryShare, capped at memory_cap_bytes when > 0, minus the cuBLAS
  /// workspace. Throws RuntimeFailure when any of that fails.
  GpuResources(int device, int64_t memory_cap_bytes);
  ~GpuResources();
  GpuResources(const GpuResources&) = delete;
  GpuResources& operator=(const GpuResources&) = delete;

  int device() const { return device_; }
  const std::string& device_name() const { return device_name_; }
  int sm_count() const { return sm_count_; }
  cudaStream_t compute_stream() const { return compute_; }
  cudaStream_t copy_stream() const { return copy_; }
  cublasHandle_t cublas() const { return cublas_; }

  /// Bytes planned work may hold on the device at once (the stack region included): the budget
  /// less what resident data (ResidentBytes) holds between calls.
  int64_t memory_budget() const {
    return std::max<int64_t>(0, budget_ - resident_->load(std::memory_order_relaxed));
  }

  /// Counts long-lived device memory (prepared rows kept for the kNN search) against the budget
  /// for as long as it lives; may outlive the resources. Move-only.
  class ResidentBytes {
   public:
    ResidentBytes() = default;
    ~ResidentBytes() { reset(); }
    ResidentBytes(const ResidentBytes&) = delete;
    ResidentBytes& operator=(const ResidentBytes&) = delete;
    ResidentBytes(ResidentBytes&& other) noexcept
        : counter_(std::move(other.counter_)), bytes_(std::exchange(other.bytes_, 0)) {}
    ResidentBytes& operator=(ResidentBytes&& other) noexcept {
      if (this != &other) {
        reset();
        counter_ = std::move(other.counter_);
        bytes_ = std::exchange(other.bytes_, 0);
      }
      return *this;
    }
    int64_t bytes() const { return bytes_; }
    void reset() noexcept {
      if (counter_) counter_->fetch_sub(bytes_, std::memory_order_relaxed);
      counter_.reset();
      bytes_ = 0;
    }

   private:
    friend class GpuResources;
    ResidentBytes(std::shared_ptr<std::atomic<int64_t>> counter, int64_t bytes)
        : counter_(std::move(counter)), bytes_(bytes) {
      counter_->fetch_add(bytes_, std::memory_order_relaxed);
    }
    std::shared_ptr<std::atomic<int64_t>> counter_;
    int64_t bytes_ = 0;
  };
  ResidentBytes hold_resident(int64_t bytes) { return ResidentBytes(resident_, bytes); }
  /// What one call may plan with: memory_budget(), and under CudaTuning::memory_budget_bytes
  /// (when set) less the resident bytes too, so a test cap covers the resident rows as well.
  int64_t planning_budget(const CudaTuning& tuning) const {
    int64_t budget = memory_budget();
    if (tuning.memory_budget_bytes > 0) {
      budget =
          std::min(budget, std::max<int64_t>(0, tuning.memory_budget_bytes - resident_bytes()));
    }
    return budget;
  }
  int64_t resident_bytes() const { return resident_->load(std::memory_order_relaxed); }
  int64_t total_memory() const { return total_memory_; }

  DeviceStack& stack() { return stack_; }

  /// Page-locked host memory of at least `bytes`, grown on demand and kept. One user at a time:
  /// the caller must be done with the previous contents (their copies finished).
  std::byte* pinned_staging(size_t bytes);

  /// Makes this resources' device current on the calling thread.
  void make_current() const;

  /// Waits for both streams; throws RuntimeFailure on an asynchronous error.
  void synchronize() const;

  /// Waits for both streams on scope exit without throwing (errors are logged): declare one
  /// after the Scratch buffers of a call, so that an exception cannot release memory that queued
  /// work still uses.
  class SyncGuard {
   public:
    explicit SyncGuard(const GpuResources& resources) : resources_(resources) {}
    ~SyncGuard();
    SyncGuard(const SyncGuard&) = delete;
    SyncGuard& operator=(const SyncGuard&) = delete;

   private:
    const GpuResources& resources_;
  };

 private:
  void release_handles() noexcept;

  int device_ = 0;
  std::string device_name_;
  int sm_count_ = 0;
  int64_t budget_ = 0;
  // Shared with the ResidentBytes handed out, which may outlive these resources.
  std::shared_ptr<std::atomic<int64_t>> resident_ = std::make_shared<std::atomic<int64_t>>(0);
  int64_t total_memory_ = 0;
  cudaStream_t compute_ = nullptr;
  cudaStream_t copy_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  DeviceBuffer<std::byte> cublas_workspace_;
  DeviceStack stack_;
  PinnedBuffer<std::byte> pinned_;
};

}  // namespace unfriend::gpu
