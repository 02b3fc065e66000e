// Launcher for per-feature standardisation on the device, with the host's rule.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace unfriend::kernels {

/// x[i, j] = standardized_value(x[i, j], location[j], scale[j], clip) (host/core/
/// standardized_value.h, the rule the host path applies, so the bits are the host's). location
/// and scale (device) hold cols doubles (FeatureStats).
cudaError_t standardize_rows(float* rows_data, int64_t rows, int64_t cols, const double* location,
                             const double* scale, double clip, cudaStream_t stream);

}  // namespace unfriend::kernels
