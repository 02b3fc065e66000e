// Thrust reports failures by exception; our launchers report a cudaError_t. One wrapper for
// every launcher that calls Thrust.
#pragma once

#include <cuda_runtime_api.h>
#include <thrust/system/system_error.h>

#include <new>

namespace unfriend::kernels {

/// Runs body() (Thrust calls) and returns its failure as a cudaError_t, or the launch status.
template <typename Body>
cudaError_t thrust_status(Body body) {
  try {
    body();
  } catch (const thrust::system_error& e) {
    const cudaError_t code = static_cast<cudaError_t>(e.code().value());
    return code != cudaSuccess ? code : cudaErrorUnknown;
  } catch (const std::bad_alloc&) {  // Thrust's temporaries (cudaMalloc) did not fit
    return cudaErrorMemoryAllocation;
  } catch (...) {
    return cudaErrorUnknown;
  }
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
