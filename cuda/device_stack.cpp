#include "cuda/device_stack.h"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "host/core/error.h"

namespace unfriend::gpu {

bool DeviceStack::direct_from_environment() {
  const char* value = std::getenv("UNFRIEND_CUDA_DIRECT_ALLOC");
  return value != nullptr && value[0] != '\0' && std::string(value) != "0";
}

void DeviceStack::reserve(size_t bytes) {
  if (direct_ || bytes <= arena_.capacity()) return;
  if (arena_.live_blocks() != 0) {
    throw RuntimeFailure(
        fmt::format("GPU stack: cannot grow to {} bytes while temporaries are in use", bytes));
  }
  // Free first: the old and the new region need not fit side by side.
  arena_.reset(0);
  region_.reset(0);
  region_.reset(bytes);
  arena_.reset(bytes);
}

void DeviceStack::release_region() noexcept {
  if (arena_.live_blocks() != 0) return;
  try {
    arena_.reset(0);
  } catch (...) {
    return;
  }
  region_ = DeviceBuffer<std::byte>();
}

}  // namespace unfriend::gpu
