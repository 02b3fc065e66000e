// cuda_device_usable: every way a machine can lack a usable GPU becomes `false` plus a one-line
// reason, never an exception or a crash. Runs on CI machines without any CUDA driver.
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <string>

#include "cuda/cuda_backend.h"
#include "kernels/probe.h"

namespace unfriend {

namespace {

std::string cuda_version(int version) {
  return fmt::format("{}.{}", version / 1000, (version % 1000) / 10);
}

std::string describe_runtime_failure(cudaError_t status) {
  (void)cudaGetLastError();
  int driver = 0, runtime = 0;
  (void)cudaDriverGetVersion(&driver);
  (void)cudaRuntimeGetVersion(&runtime);
  switch (status) {
    case cudaErrorInsufficientDriver:
      if (driver == 0) return "no CUDA driver is installed (libcuda.so.1 not found)";
      return fmt::format("the CUDA driver ({}) is older than this build's runtime ({})",
                         cuda_version(driver), cuda_version(runtime));
    case cudaErrorNoDevice:
      return "no CUDA device found";
    default:
      return fmt::format("CUDA initialisation failed: {} ({})", cudaGetErrorName(status),
                         cudaGetErrorString(status));
  }
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

bool probe(int device, std::string* reason) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    *reason = describe_runtime_failure(status);
    return false;
  }
  if (count == 0) {
    *reason = "no CUDA device found";
    return false;
  }
  if (device < 0 || device >= count) {
    *reason = fmt::format("GPU {} was requested but {} CUDA device{} present", device, count,
                          count == 1 ? " is" : "s are");
    return false;
  }
  cudaDeviceProp properties{};
  status = cudaGetDeviceProperties(&properties, device);
  if (status != cudaSuccess) {
    *reason = describe_runtime_failure(status);
    return false;
  }
  // Our device code is built for sm_80 and sm_90 (plus sm_90 PTX): Ampere or newer.
  if (properties.major < 8) {
    *reason = fmt::format("GPU {} ({}) has compute capability {}.{}; this build needs 8.0 or newer",
                          device, properties.name, properties.major, properties.minor);
    return false;
  }
  int previous = 0;
  (void)cudaGetDevice(&previous);
  status = cudaSetDevice(device);
  if (status == cudaSuccess) status = cudaFree(nullptr);  // creates the context
  if (status == cudaSuccess) status = kernels::probe_kernel_image();
  (void)cudaSetDevice(previous);
  if (status != cudaSuccess) {
    *reason = fmt::format("GPU {} ({}, compute capability {}.{}) is not usable: {}", device,
                          properties.name, properties.major, properties.minor,
                          describe_runtime_failure(status));
    return false;
  }
  *reason = fmt::format("GPU {}: {} (compute capability {}.{}, {:.1f} GiB)", device,
                        properties.name, properties.major, properties.minor,
                        static_cast<double>(properties.totalGlobalMem) / (1 << 30));
  return true;
}

}  // namespace

bool cuda_device_usable(int device, std::string* reason) {
  std::string why;
  bool usable = false;
  try {
    usable = probe(device, &why);
  } catch (...) {
    usable = false;
    why = "unexpected failure while looking for a CUDA device";
  }
  if (reason != nullptr) {
    try {
      *reason = one_line(why);
    } catch (...) {
      // Out of memory copying a short string: the answer itself still stands.
    }
  }
  return usable;
}

}  // namespace unfriend
