// Reading ahead: a thread reads a RowSource block by block into a ring of caller-owned buffers
// while the caller works on the block before (checks it, copies it to a device). The caller
// owns the memory so that a GPU path can pass pinned buffers and the CPU path plain vectors.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "host/core/features.h"

namespace unfriend {

class BlockStream {
 public:
  /// One block of rows, held by the consumer until release(slot).
  struct Block {
    int slot = -1;
    int64_t begin = 0;  // first input row
    int64_t rows = 0;
    float* data = nullptr;  // rows x source.cols() floats
  };

  /// Starts the reader thread. Each of `slots` (at least 2) holds block_rows * source.cols()
  /// floats and must outlive the stream. Block b is read into slot b % slots.size(). While the
  /// stream runs only its reader thread calls `source` (HDF5 here is not thread-safe).
  BlockStream(const RowSource& source, int64_t block_rows, std::vector<float*> slots);
  /// Stops the reader (after the read in progress, if any) and joins it; never throws, whatever
  /// the consumer still holds.
  ~BlockStream();
  BlockStream(const BlockStream&) = delete;
  BlockStream& operator=(const BlockStream&) = delete;

  /// Waits for the next block in row order; false after the last. An exception thrown by the
  /// source while reading this block is rethrown here (same type, same message). Calling it
  /// while holding every slot is a caller bug (it could never return): std::logic_error.
  bool next(Block& out);

  /// The consumer is done with `slot`: the reader may fill it again.
  void release(int slot);

  int64_t block_rows() const { return block_rows_; }
  int64_t blocks() const { return blocks_; }
  /// Seconds the reader thread spent inside read_rows so far, and the float32 bytes it delivered.
  double read_seconds() const;
  double bytes_read() const;

 private:
  enum class SlotState { free, filled, held };
  struct Slot {
    float* data = nullptr;
    SlotState state = SlotState::free;
    int64_t block = -1;
  };

  void read_all() noexcept;

  const RowSource& source_;
  int64_t rows_ = 0;  // the source's shape, read once: only the reader thread calls it later
  int64_t cols_ = 0;
  int64_t block_rows_ = 1;
  int64_t blocks_ = 0;
  int64_t next_block_ = 0;  // consumer side: the block next() returns

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Slot> slots_;
  bool stop_ = false;
  std::exception_ptr error_;
  int64_t error_block_ = -1;
  double read_seconds_ = 0;
  double bytes_read_ = 0;
  std::thread reader_;  // last: started once everything above is ready
};

}  // namespace unfriend
