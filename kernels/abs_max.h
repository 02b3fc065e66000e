// The largest magnitude in a float array, with a non-finite value reported as +inf: what the
// fp16 conversion scale is chosen from. Two-phase: ask for the workspace, then run with it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace unfriend::kernels {

/// Bytes of device workspace abs_max needs for `count` values.
cudaError_t abs_max_workspace_bytes(int64_t count, size_t* bytes);

/// *result (device) = max |values[i]| over count values, +inf when any value is NaN or
/// infinite, 0 for count == 0. `workspace` holds at least abs_max_workspace_bytes(count).
cudaError_t abs_max(const float* values, int64_t count, float* result, void* workspace,
                    size_t workspace_bytes, cudaStream_t stream);

}  // namespace unfriend::kernels
