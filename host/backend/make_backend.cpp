#include <string>

#include "host/backend/cuda_module_loader.h"
#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/cpu_backend.h"

namespace unfriend {

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendOptions& options) {
  if (kind == BackendKind::cpu) return make_cpu_backend(options);
  // Only here, when a GPU is wanted, is the CUDA module (and with it cuBLAS) loaded.
  const CudaModule& module = cuda_module();
  if (module.api == nullptr) {
    if (kind == BackendKind::cuda) {
      throw InputError("--backend cuda: CUDA module not loaded: " + module.failure);
    }
    log_info("backend: cpu (CUDA module not loaded: " + module.failure + ")");
    return make_cpu_backend(options);
  }
  std::string reason;
  const bool usable = module.api->device_usable(options.gpu_device, &reason);
  if (kind == BackendKind::cuda) {
    if (!usable) throw InputError("--backend cuda: no usable GPU (" + reason + ")");
    return module.api->make_backend(options);
  }
  if (usable) {
    log_info("backend: cuda (" + reason + "; " + module.path + ")");
    return module.api->make_backend(options);
  }
  log_info("backend: cpu (no usable GPU: " + reason + ")");
  return make_cpu_backend(options);
}

}  // namespace unfriend
