// A trivial kernel compiled with the same architectures as every other kernel: asking for its
// attributes loads the module, which fails exactly when the device cannot run our code.
#include "kernels/probe.h"

namespace unfriend::kernels {

namespace {
__global__ void probe_kernel(int* out) {
  if (out != nullptr) *out = 1;
}
}  // namespace

cudaError_t probe_kernel_image() {
  cudaFuncAttributes attributes{};
  return cudaFuncGetAttributes(&attributes, probe_kernel);
}

}  // namespace unfriend::kernels
