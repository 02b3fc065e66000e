// abs_max through CUB's DeviceReduce::TransformReduce (no allocation inside: the caller passes
// the workspace it asked for).
#include <cub/device/device_reduce.cuh>

#include "kernels/abs_max.h"

namespace unfriend::kernels {

namespace {

struct AbsOrInf {
  __device__ float operator()(float x) const {
    // NaN and +-inf both map to +inf, so one reduction answers "finite?" and "how large?".
    return isfinite(x) ? fabsf(x) : INFINITY;
  }
};

struct Max {
  __device__ float operator()(float a, float b) const { return a > b ? a : b; }
};

}  // namespace

cudaError_t abs_max_workspace_bytes(int64_t count, size_t* bytes) {
  if (count < 0 || bytes == nullptr) return cudaErrorInvalidValue;
  *bytes = 0;
  return cub::DeviceReduce::TransformReduce(nullptr, *bytes, static_cast<const float*>(nullptr),
                                            static_cast<float*>(nullptr), count, Max{}, AbsOrInf{},
                                            0.f, cudaStream_t{});
}

cudaError_t abs_max(const float* values, int64_t count, float* result, void* workspace,
                    size_t workspace_bytes, cudaStream_t stream) {
  if (count < 0 || result == nullptr || (count > 0 && values == nullptr)) {
    return cudaErrorInvalidValue;
  }
  size_t needed = 0;
  cudaError_t status = abs_max_workspace_bytes(count, &needed);
  if (status != cudaSuccess) return status;
  if (workspace_bytes < needed || (needed > 0 && workspace == nullptr)) {
    return cudaErrorInvalidValue;
  }
  return cub::DeviceReduce::TransformReduce(workspace, workspace_bytes, values, result, count,
                                            Max{}, AbsOrInf{}, 0.f, stream);
}

}  // namespace unfriend::kernels
