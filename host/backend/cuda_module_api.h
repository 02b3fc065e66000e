// The contract between unfriend's executables and the CUDA backend module (libunfriend-cuda.so),
// which they load with dlopen only when a GPU may be used, so that no executable needs the CUDA
// libraries to start. Plain C++: both sides include it, neither needs nvcc.
#pragma once

#include <memory>
#include <string>

#include "host/core/backend.h"

namespace unfriend {

/// Raised whenever CudaModuleApi or the meaning of an entry changes. `abi` is read before
/// anything else, so a module of another ABI is refused without touching the rest.
constexpr int kCudaModuleAbi = 1;

/// The module's entry points. The C++ types in them (Backend and its arguments, std::string)
/// cross the boundary as they are, so the module must come from the same build as the executable
/// that loads it: `build_id` (the version and a hash of the host headers both sides compile
/// against, module_build_id.h) must equal the executable's.
struct CudaModuleApi {
  int abi;
  const char* build_id;
  /// cuda_device_usable (cuda/cuda_backend.h): false with a one-line reason when no GPU is usable.
  bool (*device_usable)(int device, std::string* reason);
  /// make_cuda_backend: InputError with the reason when no GPU is usable.
  std::unique_ptr<Backend> (*make_backend)(const BackendOptions& options);
};

}  // namespace unfriend

/// The one symbol the module exports, named by kCudaModuleEntryPoint.
extern "C" const unfriend::CudaModuleApi* unfriend_cuda_module_api();

namespace unfriend {
constexpr const char* kCudaModuleEntryPoint = "unfriend_cuda_module_api";
}  // namespace unfriend
