// The CUDA module's entry point (host/backend/cuda_module_api.h): the only symbol
// libunfriend-cuda.so exports (exports.map).
#include "cuda/cuda_backend.h"
#include "host/backend/cuda_module_api.h"
#include "host/backend/module_build_id.h"

namespace {

std::unique_ptr<unfriend::Backend> make_default_cuda_backend(
    const unfriend::BackendOptions& options) {
  return unfriend::make_cuda_backend(options);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const unfriend::CudaModuleApi*
unfriend_cuda_module_api() {
  static const unfriend::CudaModuleApi api{unfriend::kCudaModuleAbi, UNFRIEND_MODULE_BUILD_ID,
                                           &unfriend::cuda_device_usable,
                                           &make_default_cuda_backend};
  return &api;
}
