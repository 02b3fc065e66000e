// A stack allocator for per-call device temporaries (after FAISS's StackDeviceMemory): one
// device region reserved up front and grown only between calls, handed out in LIFO order, so
// the hot path never calls cudaMalloc/cudaFree. Scratch<T> is the RAII handle of one block.
//
// Sanitizer mode: with UNFRIEND_CUDA_DIRECT_ALLOC=1 in the environment every block is its own
// cudaMalloc, so that compute-sanitizer memcheck sees each buffer's true bounds (inside one
// region an overrun into the next block would go unnoticed). bench/gpu-check.sh sets it for its
// memcheck runs.
//
// Stream safety: all work that touches a block is queued on the resources' streams, and a block
// is only handed out again to work queued later on the same streams (or after a
// synchronisation), so reuse is ordered by the streams. Callers that mix streams synchronise
// before their blocks are released (see GpuResources::SyncGuard).
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <utility>

#include "cuda/device_buffer.h"
#include "cuda/stack_arena.h"

namespace unfriend::gpu {

class DeviceStack;

template <typename T>
class Scratch {
 public:
  Scratch() = default;
  ~Scratch() { release(); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  Scratch(Scratch&& other) noexcept
      : stack_(std::exchange(other.stack_, nullptr)),
        offset_(other.offset_),
        data_(std::exchange(other.data_, nullptr)),
        count_(std::exchange(other.count_, 0)) {}
  Scratch& operator=(Scratch&& other) noexcept {
    if (this != &other) {
      release();
      stack_ = std::exchange(other.stack_, nullptr);
      offset_ = other.offset_;
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }

  T* data() const { return data_; }
  size_t size() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }
  void release() noexcept;

 private:
  friend class DeviceStack;
  Scratch(DeviceStack* stack, size_t offset, T* data, size_t count)
      : stack_(stack), offset_(offset), data_(data), count_(count) {}

  DeviceStack* stack_ = nullptr;
  size_t offset_ = 0;
  T* data_ = nullptr;
  size_t count_ = 0;
};

class DeviceStack {
 public:
  DeviceStack() = default;
  DeviceStack(const DeviceStack&) = delete;
  DeviceStack& operator=(const DeviceStack&) = delete;

  /// Makes the region at least `bytes` large (one cudaMalloc when it grows). Only while no
  /// Scratch is alive; throws RuntimeFailure otherwise or when the device is out of memory.
  /// A no-op in sanitizer mode.
  void reserve(size_t bytes);

  /// Frees the region (only while no Scratch is alive; a no-op otherwise).
  void release_region() noexcept;

  template <typename T>
  Scratch<T> take(size_t count) {
    if (direct_) {
      void* block = detail::DeviceAllocator::allocate(std::max<size_t>(count * sizeof(T), 1));
      return Scratch<T>(this, kDirectOffset, static_cast<T*>(block), count);
    }
    const size_t offset = arena_.push(count * sizeof(T));
    return Scratch<T>(this, offset, reinterpret_cast<T*>(region_.data() + offset), count);
  }

  /// True when blocks are separate allocations (UNFRIEND_CUDA_DIRECT_ALLOC=1).
  bool direct() const { return direct_; }

  size_t capacity() const { return arena_.capacity(); }
  size_t used() const { return arena_.used(); }
  size_t peak() const { return arena_.peak(); }

  /// Bytes a sequence of blocks of these sizes takes, alignment included: what to reserve.
  static size_t footprint(std::initializer_list<size_t> block_bytes) {
    size_t total = 0;
    for (size_t b : block_bytes) total += StackArena::aligned(b == 0 ? 1 : b);
    return total;
  }

 private:
  template <typename T>
  friend class Scratch;
  static constexpr size_t kDirectOffset = ~size_t{0};
  static bool direct_from_environment();
  void give_back(size_t offset, void* block) noexcept {
    if (offset == kDirectOffset) {
      detail::DeviceAllocator::release(block);
    } else {
      arena_.release(offset);
    }
  }

  DeviceBuffer<std::byte> region_;
  StackArena arena_;
  bool direct_ = direct_from_environment();
};

template <typename T>
void Scratch<T>::release() noexcept {
  if (stack_ != nullptr) stack_->give_back(offset_, data_);
  stack_ = nullptr;
  data_ = nullptr;
  count_ = 0;
}

}  // namespace unfriend::gpu
