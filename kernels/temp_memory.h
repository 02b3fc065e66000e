// Where a launcher's library temporaries (Thrust's) come from: the caller's memory budget, not
// cudaMalloc. Plain C++, so cuda/ implements it over its DeviceStack without nvcc; the .cu side
// turns it into a Thrust allocator (kernels/thrust_policy.cuh).
#pragma once

#include <cstddef>
#include <cstdint>

namespace unfriend::kernels {

/// A source of device temporaries. allocate throws the caller's own error (RuntimeFailure from
/// the DeviceStack) when the budget is exhausted; launchers let that exception pass through
/// unchanged. Blocks are given back in any order, on the host, while work queued on the
/// launcher's stream may still use them: the source must only hand them out again to work
/// queued later on that stream (DeviceStack's rule).
class TempMemory {
 public:
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* block) noexcept = 0;

 protected:
  ~TempMemory() = default;
};

/// An upper bound of what one Thrust sort, compaction, scan or reduce_by_key of `count` items
/// of `item_bytes` each (keys and values together) takes in temporaries at a time: an alternate
/// buffer of the items (radix sort's double buffer, unique's and remove_if's copy), CUB's
/// per-tile state (well under a byte per item) and a fixed margin for its small blocks (each
/// rounded up to the stack's alignment). What the memory plans reserve on top of their arrays.
inline int64_t thrust_temp_bytes(int64_t count, int64_t item_bytes) {
  constexpr int64_t kMargin = int64_t{1} << 20;
  return count * item_bytes + count / 2 + kMargin;
}

}  // namespace unfriend::kernels
