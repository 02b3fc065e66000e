// The CUDA backend, seen from plain C++: no CUDA headers here, so host/ code never needs nvcc.
#pragma once

#include <memory>
#include <string>

#include "cuda/cuda_tuning.h"
#include "host/core/backend.h"

namespace unfriend {

/// True when a CUDA device can be used; otherwise `reason` says why in one line (no driver, no
/// device, driver too old, ...). Any CUDA failure counts as "no GPU", never as a crash. On
/// success `reason` describes the device.
bool cuda_device_usable(int device, std::string* reason);

/// Throws InputError with the reason when no usable GPU is present.
std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& options);

/// The same with non-default tuning (tests force small tiles and budgets through it).
std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& options, const CudaTuning& tuning);

}  // namespace unfriend
