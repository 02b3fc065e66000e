// Error checks for CUDA runtime and cuBLAS calls: a failure becomes a RuntimeFailure whose one
// line names the call, where it was made and what the library said. Nothing here aborts.
#pragma once

#include <cublas_api.h>
#include <cuda_runtime_api.h>

#include <string>

namespace unfriend::gpu {

/// "CUDA error cudaErrorMemoryAllocation (out of memory) in cudaMalloc(...) at file:line".
std::string cuda_error_message(cudaError_t status, const char* call, const char* file, int line);
std::string cublas_error_message(cublasStatus_t status, const char* call, const char* file,
                                 int line);

/// Throw RuntimeFailure with the messages above. The CUDA variant first clears the runtime's
/// last-error state, so a recoverable error does not resurface at the next unrelated check.
[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file,
                                   int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file,
                                     int line);

/// For destructors and cleanup paths: logs a warning line and returns false instead of throwing.
bool cuda_ok_or_warn(cudaError_t status, const char* call, const char* file, int line) noexcept;

}  // namespace unfriend::gpu

#define UNFRIEND_CUDA_TRY(call)                                                            \
  do {                                                                                     \
    const cudaError_t unfriend_cuda_status_ = (call);                                      \
    if (unfriend_cuda_status_ != cudaSuccess) {                                            \
      ::unfriend::gpu::throw_cuda_error(unfriend_cuda_status_, #call, __FILE__, __LINE__); \
    }                                                                                      \
  } while (0)

#define UNFRIEND_CUBLAS_TRY(call)                                                              \
  do {                                                                                         \
    const cublasStatus_t unfriend_cublas_status_ = (call);                                     \
    if (unfriend_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                    \
      ::unfriend::gpu::throw_cublas_error(unfriend_cublas_status_, #call, __FILE__, __LINE__); \
    }                                                                                          \
  } while (0)

/// Evaluates to true on success; logs and evaluates to false on failure. Never throws.
#define UNFRIEND_CUDA_TRY_NO_THROW(call) \
  ::unfriend::gpu::cuda_ok_or_warn((call), #call, __FILE__, __LINE__)
