// The bookkeeping of a stack allocator, as plain offsets: which bytes of one region are in use.
// DeviceStack puts a device allocation behind it; kept apart so it is testable without a GPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace unfriend::gpu {

class StackArena {
 public:
  /// Every block starts at a multiple of this (cudaMalloc's own alignment): enough for
  /// vectorised loads and for cuBLAS's preferred operand alignment.
  static constexpr size_t kAlignment = 256;
  static size_t aligned(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

  explicit StackArena(size_t capacity = 0) : capacity_(capacity) {}

  /// Changes the capacity; only while nothing is allocated (throws RuntimeFailure otherwise).
  void reset(size_t capacity);

  /// Takes `bytes` (rounded up to kAlignment) from the top; returns the offset. Throws
  /// RuntimeFailure naming the sizes when it does not fit.
  size_t push(size_t bytes);

  /// Gives back the block at `offset`. Blocks may be released in any order; space is reclaimed
  /// once everything above it is released too (scope order makes that the usual case).
  void release(size_t offset) noexcept;

  size_t capacity() const { return capacity_; }
  size_t used() const { return top_; }
  size_t available() const { return capacity_ - top_; }
  size_t peak() const { return peak_; }
  size_t live_blocks() const { return live_; }

 private:
  struct Block {
    size_t offset;
    size_t bytes;
    bool live;
  };
  std::vector<Block> blocks_;
  size_t capacity_ = 0;
  size_t top_ = 0;
  size_t peak_ = 0;
  size_t live_ = 0;
};

}  // namespace unfriend::gpu
