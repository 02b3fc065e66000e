#include "cuda/gpu_resources.h"

#include <cublas_v2.h>
#include <fmt/format.h>

#include <algorithm>

#include "host/core/error.h"

namespace unfriend::gpu {

GpuResources::GpuResources(int device, int64_t memory_cap_bytes) : device_(device) {
  UNFRIEND_CUDA_TRY(cudaSetDevice(device));
  cudaDeviceProp properties{};
  UNFRIEND_CUDA_TRY(cudaGetDeviceProperties(&properties, device));
  device_name_ = properties.name;
  sm_count_ = properties.multiProcessorCount;

  size_t free_bytes = 0, total_bytes = 0;
  UNFRIEND_CUDA_TRY(cudaMemGetInfo(&free_bytes, &total_bytes));
  total_memory_ = static_cast<int64_t>(total_bytes);
  int64_t budget = static_cast<int64_t>(static_cast<double>(free_bytes) * kFreeMemoryShare);
  if (memory_cap_bytes > 0) budget = std::min(budget, memory_cap_bytes);

  // On a failure part-way, release_handles() frees what was created; the buffers free
  // themselves.
  try {
    UNFRIEND_CUDA_TRY(cudaStreamCreateWithFlags(&compute_, cudaStreamNonBlocking));
    UNFRIEND_CUDA_TRY(cudaStreamCreateWithFlags(&copy_, cudaStreamNonBlocking));
    UNFRIEND_CUBLAS_TRY(cublasCreate(&cublas_));
    UNFRIEND_CUBLAS_TRY(cublasSetStream(cublas_, compute_));
    // The default math mode runs fp16/bf16 GEMMs with fp32 compute on the tensor cores.
    UNFRIEND_CUBLAS_TRY(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
    cublas_workspace_.reset(kCublasWorkspaceBytes);
    UNFRIEND_CUBLAS_TRY(
        cublasSetWorkspace(cublas_, cublas_workspace_.data(), cublas_workspace_.bytes()));
  } catch (...) {
    release_handles();
    throw;
  }
  budget_ = std::max<int64_t>(0, budget - static_cast<int64_t>(kCublasWorkspaceBytes));
}

GpuResources::~GpuResources() {
  release_handles();
  stack_.release_region();
}

void GpuResources::release_handles() noexcept {
  // Work still queued must finish before its memory goes.
  if (compute_ != nullptr) UNFRIEND_CUDA_TRY_NO_THROW(cudaStreamSynchronize(compute_));
  if (copy_ != nullptr) UNFRIEND_CUDA_TRY_NO_THROW(cudaStreamSynchronize(copy_));
  if (cublas_ != nullptr) cublasDestroy(cublas_);
  cublas_ = nullptr;
  if (copy_ != nullptr) UNFRIEND_CUDA_TRY_NO_THROW(cudaStreamDestroy(copy_));
  if (compute_ != nullptr) UNFRIEND_CUDA_TRY_NO_THROW(cudaStreamDestroy(compute_));
  copy_ = nullptr;
  compute_ = nullptr;
}

std::byte* GpuResources::pinned_staging(size_t bytes) {
  if (pinned_.bytes() < bytes) {
    pinned_.reset(0);
    pinned_.reset(bytes);
  }
  return pinned_.data();
}

void GpuResources::make_current() const { UNFRIEND_CUDA_TRY(cudaSetDevice(device_)); }

void GpuResources::synchronize() const {
  UNFRIEND_CUDA_TRY(cudaStreamSynchronize(copy_));
  UNFRIEND_CUDA_TRY(cudaStreamSynchronize(compute_));
}

GpuResources::SyncGuard::~SyncGuard() {
  UNFRIEND_CUDA_TRY_NO_THROW(cudaStreamSynchronize(resources_.copy_stream()));
  UNFRIEND_CUDA_TRY_NO_THROW(cudaStreamSynchronize(resources_.compute_stream()));
}

}  // namespace unfriend::gpu
