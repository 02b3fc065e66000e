// The DeviceStack as the TempMemory of Thrust-using launchers (kernels/temp_memory.h): their
// temporaries are carved from the stack's region, inside the memory budget, and an exhausted
// budget is a RuntimeFailure naming the sizes (StackArena::push), never an abort.
#pragma once

#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

#include "cuda/device_stack.h"
#include "kernels/temp_memory.h"

namespace unfriend::gpu {

class DeviceStackAllocator final : public kernels::TempMemory {
 public:
  explicit DeviceStackAllocator(DeviceStack& stack) : stack_(stack) {}
  DeviceStackAllocator(const DeviceStackAllocator&) = delete;
  DeviceStackAllocator& operator=(const DeviceStackAllocator&) = delete;
  ~DeviceStackAllocator() = default;  // blocks still live are released by their Scratch

  void* allocate(size_t bytes) override {
    blocks_.reserve(blocks_.size() + 1);  // so that push_back below cannot throw and leak
    Scratch<std::byte> block = stack_.take<std::byte>(bytes);  // RuntimeFailure when full
    void* data = block.data();
    blocks_.push_back(std::move(block));
    return data;
  }

  void deallocate(void* data) noexcept override {
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->data() == data) {
        it->release();
        blocks_.erase(std::next(it).base());
        return;
      }
    }
  }

  /// Blocks handed out and not yet given back.
  size_t live_blocks() const { return blocks_.size(); }

 private:
  DeviceStack& stack_;
  std::vector<Scratch<std::byte>> blocks_;
};

}  // namespace unfriend::gpu
