// Launcher of the synthetic-data generator the GPU benchmark uses: rows made on the device, so
// that large sizes skip host I/O entirely.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace unfriend::kernels {

/// values[i] ~ N(0, 1) for i < count, from a counter-based hash of (seed, i): the same seed
/// gives the same data on every GPU and for every launch shape.
cudaError_t random_normal(float* values, int64_t count, uint64_t seed, cudaStream_t stream);

}  // namespace unfriend::kernels
