#include "cuda/stack_arena.h"

#include <fmt/format.h>

#include "host/core/error.h"

namespace unfriend::gpu {

void StackArena::reset(size_t capacity) {
  if (live_ != 0) {
    throw RuntimeFailure(
        fmt::format("GPU stack: cannot resize to {} bytes while {} blocks ({} bytes) are in use",
                    capacity, live_, top_));
  }
  blocks_.clear();
  capacity_ = capacity;
  top_ = 0;
}

size_t StackArena::push(size_t bytes) {
  const size_t size = aligned(bytes == 0 ? 1 : bytes);
  if (size > capacity_ - top_) {
    throw RuntimeFailure(fmt::format(
        "GPU stack: {} bytes requested but only {} of {} are free (the memory plan is wrong)",
        bytes, capacity_ - top_, capacity_));
  }
  const size_t offset = top_;
  blocks_.push_back(Block{offset, size, true});
  top_ += size;
  ++live_;
  if (top_ > peak_) peak_ = top_;
  return offset;
}

void StackArena::release(size_t offset) noexcept {
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
    if (it->offset == offset && it->live) {
      it->live = false;
      --live_;
      break;
    }
  }
  while (!blocks_.empty() && !blocks_.back().live) {
    top_ = blocks_.back().offset;
    blocks_.pop_back();
  }
}

}  // namespace unfriend::gpu
