// Whether this build's device code can run on the current device.
#pragma once

#include <cuda_runtime_api.h>

namespace unfriend::kernels {

/// cudaSuccess when the current device can load our kernels; cudaErrorNoKernelImageForDevice
/// (or a driver error) when the binary has no code for its architecture.
cudaError_t probe_kernel_image();

}  // namespace unfriend::kernels
