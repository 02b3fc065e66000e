#include <string>

#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/cpu_backend.h"
#ifdef UNFRIEND_HAVE_CUDA
#include "cuda/cuda_backend.h"
#endif

namespace unfriend {

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendOptions& options) {
  if (kind == BackendKind::cpu) return make_cpu_backend(options);
#ifdef UNFRIEND_HAVE_CUDA
  std::string reason;
  bool usable = cuda_device_usable(options.gpu_device, &reason);
  if (kind == BackendKind::cuda) {
    if (!usable) throw InputError("--backend cuda: no usable GPU (" + reason + ")");
    return make_cuda_backend(options);
  }
  if (usable) {
    log_info("backend: cuda (GPU " + std::to_string(options.gpu_device) + ")");
    return make_cuda_backend(options);
  }
  log_info("backend: cpu (no usable GPU: " + reason + ")");
#else
  if (kind == BackendKind::cuda) {
    throw InputError("--backend cuda: this build of unfriend has no CUDA backend");
  }
  log_info("backend: cpu (built without CUDA)");
#endif
  return make_cpu_backend(options);
}

}  // namespace unfriend
