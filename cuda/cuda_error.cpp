#include "cuda/cuda_error.h"

#include <cublas_v2.h>
#include <fmt/format.h>

#include "host/core/error.h"
#include "host/core/progress.h"

namespace unfriend::gpu {

std::string cuda_error_message(cudaError_t status, const char* call, const char* file, int line) {
  return fmt::format("CUDA error {} ({}) in {} at {}:{}", cudaGetErrorName(status),
                     cudaGetErrorString(status), call, file, line);
}

std::string cublas_error_message(cublasStatus_t status, const char* call, const char* file,
                                 int line) {
  return fmt::format("cuBLAS error {} ({}) in {} at {}:{}", cublasGetStatusName(status),
                     cublasGetStatusString(status), call, file, line);
}

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  (void)cudaGetLastError();
  throw RuntimeFailure(cuda_error_message(status, call, file, line));
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  throw RuntimeFailure(cublas_error_message(status, call, file, line));
}

bool cuda_ok_or_warn(cudaError_t status, const char* call, const char* file, int line) noexcept {
  if (status == cudaSuccess) return true;
  try {
    (void)cudaGetLastError();
    log_warning(cuda_error_message(status, call, file, line));
  } catch (...) {
    // Formatting or logging failed (out of memory): nothing more can be done in a destructor.
  }
  return false;
}

}  // namespace unfriend::gpu
