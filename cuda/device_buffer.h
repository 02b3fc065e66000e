// Owning RAII buffers: device memory (cudaMalloc) and page-locked host memory (cudaMallocHost).
// For long-lived allocations only (resources, arenas); per-call temporaries come from the
// DeviceStack. Move-only.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "cuda/cuda_error.h"

namespace unfriend::gpu {

namespace detail {

struct DeviceAllocator {
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    UNFRIEND_CUDA_TRY(cudaMalloc(&p, bytes));
    return p;
  }
  static void release(void* p) noexcept { UNFRIEND_CUDA_TRY_NO_THROW(cudaFree(p)); }
};

struct PinnedAllocator {
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    UNFRIEND_CUDA_TRY(cudaMallocHost(&p, bytes));
    return p;
  }
  static void release(void* p) noexcept { UNFRIEND_CUDA_TRY_NO_THROW(cudaFreeHost(p)); }
};

template <typename T, typename Allocator>
class OwnedBuffer {
 public:
  OwnedBuffer() = default;
  explicit OwnedBuffer(size_t count) { reset(count); }
  ~OwnedBuffer() { release(); }
  OwnedBuffer(const OwnedBuffer&) = delete;
  OwnedBuffer& operator=(const OwnedBuffer&) = delete;
  OwnedBuffer(OwnedBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  OwnedBuffer& operator=(OwnedBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }

  /// Frees the old contents (if any) and allocates `count` elements (uninitialised).
  void reset(size_t count) {
    release();
    if (count > 0) data_ = static_cast<T*>(Allocator::allocate(count * sizeof(T)));
    count_ = count;
  }

  T* data() const { return data_; }
  size_t size() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }
  bool empty() const { return count_ == 0; }

 private:
  void release() noexcept {
    if (data_ != nullptr) Allocator::release(data_);
    data_ = nullptr;
    count_ = 0;
  }

  T* data_ = nullptr;
  size_t count_ = 0;
};

}  // namespace detail

template <typename T>
using DeviceBuffer = detail::OwnedBuffer<T, detail::DeviceAllocator>;
template <typename T>
using PinnedBuffer = detail::OwnedBuffer<T, detail::PinnedAllocator>;

}  // namespace unfriend::gpu
