#include "host/core/block_stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace unfriend {

BlockStream::BlockStream(const RowSource& source, int64_t block_rows, std::vector<float*> slots)
    : source_(source), rows_(source.rows()), cols_(source.cols()) {
  if (slots.size() < 2) {
    throw std::logic_error(fmt::format("BlockStream needs at least 2 slots, got {}", slots.size()));
  }
  block_rows_ = std::max<int64_t>(1, block_rows);
  blocks_ = rows_ > 0 ? (rows_ + block_rows_ - 1) / block_rows_ : 0;
  for (float* data : slots) slots_.push_back(Slot{data, SlotState::free, -1});
  reader_ = std::thread([this] { read_all(); });
}

BlockStream::~BlockStream() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (reader_.joinable()) reader_.join();
}

void BlockStream::read_all() noexcept {
  const int64_t slot_count = static_cast<int64_t>(slots_.size());
  for (int64_t b = 0; b < blocks_; ++b) {
    Slot* slot = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      Slot& wanted = slots_[static_cast<size_t>(b % slot_count)];
      changed_.wait(lock, [&] { return stop_ || wanted.state == SlotState::free; });
      if (stop_) return;
      slot = &wanted;
    }
    // Outside the lock: the consumer works on other slots meanwhile.
    const int64_t begin = b * block_rows_;
    const int64_t count = std::min(block_rows_, rows_ - begin);
    const auto start = std::chrono::steady_clock::now();
    std::exception_ptr error;
    try {
      source_.read_rows(begin, count, slot->data);
    } catch (...) {
      error = std::current_exception();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      read_seconds_ += seconds;
      if (error) {
        error_ = error;
        error_block_ = b;
      } else {
        bytes_read_ += static_cast<double>(count) * static_cast<double>(cols_) * sizeof(float);
        slot->state = SlotState::filled;
        slot->block = b;
      }
    }
    changed_.notify_all();
    if (error) return;
  }
}

bool BlockStream::next(Block& out) {
  if (next_block_ >= blocks_) return false;
  const int64_t b = next_block_;
  const size_t index = static_cast<size_t>(b % static_cast<int64_t>(slots_.size()));
  std::unique_lock<std::mutex> lock(mutex_);
  Slot& slot = slots_[index];
  if (slot.state == SlotState::held) {
    throw std::logic_error(fmt::format(
        "BlockStream::next: block {} goes into slot {}, which the caller still holds", b, index));
  }
  changed_.wait(lock, [&] {
    return (slot.state == SlotState::filled && slot.block == b) || error_block_ == b;
  });
  if (error_block_ == b) {
    // Delivered once: a second next() after the failure reports the end, not a second error.
    next_block_ = blocks_;
    std::rethrow_exception(error_);
  }
  slot.state = SlotState::held;
  ++next_block_;
  out.slot = static_cast<int>(index);
  out.begin = b * block_rows_;
  out.rows = std::min(block_rows_, rows_ - out.begin);
  out.data = slot.data;
  return true;
}

void BlockStream::release(int slot) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (slot < 0 || static_cast<size_t>(slot) >= slots_.size() ||
        slots_[static_cast<size_t>(slot)].state != SlotState::held) {
      throw std::logic_error(fmt::format("BlockStream::release: slot {} is not held", slot));
    }
    slots_[static_cast<size_t>(slot)].state = SlotState::free;
  }
  changed_.notify_all();
}

double BlockStream::read_seconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return read_seconds_;
}

double BlockStream::bytes_read() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_read_;
}

}  // namespace unfriend
