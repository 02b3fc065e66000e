// Thrust's execution policy over the caller's TempMemory: every temporary an algorithm takes
// comes from the memory budget (the DeviceStack), as CUB's two-phase calls do (abs_max.cu).
#pragma once

#include <cuda_runtime_api.h>
#include <thrust/execution_policy.h>

#include <cstddef>

#include "kernels/temp_memory.h"

namespace unfriend::kernels {

/// Thrust's allocator requirements (value_type char, allocate, deallocate) over TempMemory.
class ThrustTempAllocator {
 public:
  using value_type = char;
  explicit ThrustTempAllocator(TempMemory& memory) : memory_(&memory) {}
  char* allocate(std::ptrdiff_t n) {
    return static_cast<char*>(memory_->allocate(static_cast<size_t>(n)));
  }
  void deallocate(char* block, size_t) noexcept { memory_->deallocate(block); }

 private:
  TempMemory* memory_;
};

/// par_nosync on `stream` with the allocator (which must outlive the policy). No optional
/// synchronisation: an algorithm whose result reaches the host (copy_if's end, reduce_by_key's
/// run count, unique, remove_if) still synchronises to read it, which is all our launchers need;
/// everything else stays ordered on the stream, and so does the reuse of the temporaries
/// (TempMemory's rule).
inline auto thrust_policy(ThrustTempAllocator& allocator, cudaStream_t stream) {
  return thrust::cuda::par_nosync(allocator).on(stream);
}

}  // namespace unfriend::kernels
