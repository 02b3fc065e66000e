// Thrust reports failures by exception; our launchers report a cudaError_t. One wrapper for
// every launcher that calls Thrust. The caller's TempMemory (kernels/temp_memory.h) reports an
// exhausted budget with its own exception, which passes through unchanged.
#pragma once

#include <cuda_runtime_api.h>
#include <thrust/system/system_error.h>

#include <new>

namespace unfriend::kernels {

/// Runs body() (Thrust calls) and returns Thrust's failure as a cudaError_t, or the launch
/// status. Any other exception (the TempMemory's) propagates.
template <typename Body>
cudaError_t thrust_status(Body body) {
  try {
    body();
  } catch (const thrust::system_error& e) {
    const cudaError_t code = static_cast<cudaError_t>(e.code().value());
    return code != cudaSuccess ? code : cudaErrorUnknown;
  } catch (const std::bad_alloc&) {  // a temporary of Thrust's own (cudaMalloc) did not fit
    return cudaErrorMemoryAllocation;
  }
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
