// BlockStream: blocks in order with the right rows, slots never refilled while held, the
// reader's exception in the consumer, early destruction, and real overlap of read and work.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "host/core/block_stream.h"
#include "host/core/error.h"

namespace unfriend {
namespace {

using Clock = std::chrono::steady_clock;

// Row r, column j holds r * 1000 + j: every value says where it came from.
class CountingSource final : public RowSource {
 public:
  CountingSource(int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {}
  int64_t rows() const override { return rows_; }
  int64_t cols() const override { return cols_; }
  std::string name() const override { return "counting.h5"; }
  void read_rows(int64_t begin, int64_t count, float* out) const override {
    const int inside = ++inside_;
    max_inside_ = std::max(max_inside_.load(), inside);
    ++calls_;
    if (read_delay.count() > 0) std::this_thread::sleep_for(read_delay);
    if (fail_at_row >= 0 && begin <= fail_at_row && fail_at_row < begin + count) {
      --inside_;
      throw InputError("counting.h5: cannot read rows " + std::to_string(begin));
    }
    for (int64_t r = 0; r < count; ++r) {
      for (int64_t j = 0; j < cols_; ++j) out[r * cols_ + j] = value(begin + r, j);
    }
    --inside_;
  }
  float value(int64_t row, int64_t col) const { return float(row * 1000 + col); }
  int calls() const { return calls_; }
  int max_inside() const { return max_inside_; }

  std::chrono::milliseconds read_delay{0};
  int64_t fail_at_row = -1;

 private:
  int64_t rows_, cols_;
  mutable std::atomic<int> inside_{0}, max_inside_{0}, calls_{0};
};

struct Slots {
  Slots(int count, int64_t block_rows, int64_t cols)
      : buffers(count, std::vector<float>(size_t(block_rows * cols), -1.f)) {}
  std::vector<float*> pointers() {
    std::vector<float*> p;
    for (auto& b : buffers) p.push_back(b.data());
    return p;
  }
  std::vector<std::vector<float>> buffers;
};

void expect_block_content(const CountingSource& source, const BlockStream::Block& block) {
  for (int64_t r = 0; r < block.rows; ++r) {
    for (int64_t j = 0; j < source.cols(); ++j) {
      ASSERT_EQ(block.data[r * source.cols() + j], source.value(block.begin + r, j))
          << "row " << block.begin + r << " col " << j;
    }
  }
}

struct Shape {
  int64_t rows, cols, block_rows;
  int slots;
};

class BlockStreamShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(BlockStreamShapes, DeliversEveryRowInOrder) {
  const Shape shape = GetParam();
  CountingSource source(shape.rows, shape.cols);
  Slots slots(shape.slots, shape.block_rows, shape.cols);
  BlockStream stream(source, shape.block_rows, slots.pointers());
  const int64_t expected_blocks = (shape.rows + shape.block_rows - 1) / shape.block_rows;
  EXPECT_EQ(stream.blocks(), expected_blocks);
  int64_t next_row = 0, blocks = 0;
  BlockStream::Block block;
  while (stream.next(block)) {
    EXPECT_EQ(block.begin, next_row);
    EXPECT_EQ(block.rows, std::min(shape.block_rows, shape.rows - next_row));
    EXPECT_EQ(block.slot, blocks % shape.slots);
    expect_block_content(source, block);
    next_row += block.rows;
    ++blocks;
    stream.release(block.slot);
  }
  EXPECT_EQ(next_row, shape.rows);
  EXPECT_EQ(blocks, expected_blocks);
  EXPECT_FALSE(stream.next(block)) << "the end stays the end";
  EXPECT_EQ(stream.bytes_read(), double(shape.rows) * shape.cols * 4);
  EXPECT_EQ(source.calls(), expected_blocks);
}

INSTANTIATE_TEST_SUITE_P(Awkward, BlockStreamShapes,
                         ::testing::Values(Shape{1000, 7, 64, 2},  // last block partial
                                           Shape{1024, 3, 64, 2},  // exact multiple
                                           Shape{5, 9, 64, 2},     // block larger than input
                                           Shape{1, 1, 1, 2},      // one row
                                           Shape{17, 5, 1, 3},     // one row per block
                                           Shape{0, 4, 8, 2}));    // nothing to read

TEST(BlockStream, HeldSlotIsNeverRefilled) {
  CountingSource source(40, 6);
  Slots slots(2, 4, 6);
  BlockStream stream(source, 4, slots.pointers());
  BlockStream::Block block;
  while (stream.next(block)) {
    // A slow consumer: the reader has had time to overwrite the slot if it were going to.
    std::vector<float> copy(block.data, block.data + block.rows * 6);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    EXPECT_EQ(std::vector<float>(block.data, block.data + block.rows * 6), copy)
        << "block at row " << block.begin << " changed while held";
    expect_block_content(source, block);
    stream.release(block.slot);
  }
  EXPECT_EQ(source.max_inside(), 1) << "one read at a time";
}

TEST(BlockStream, HoldingSeveralBlocksKeepsThemIntact) {
  CountingSource source(30, 2);
  Slots slots(3, 5, 2);
  BlockStream stream(source, 5, slots.pointers());
  BlockStream::Block a, b, c;
  ASSERT_TRUE(stream.next(a));
  ASSERT_TRUE(stream.next(b));
  ASSERT_TRUE(stream.next(c));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  expect_block_content(source, a);
  expect_block_content(source, b);
  expect_block_content(source, c);
  // Every slot held: the next block has nowhere to go, and saying so beats waiting forever.
  BlockStream::Block d;
  EXPECT_THROW(stream.next(d), std::logic_error);
  stream.release(a.slot);
  ASSERT_TRUE(stream.next(d));
  EXPECT_EQ(d.begin, 15);
  expect_block_content(source, d);
  expect_block_content(source, b);
  EXPECT_THROW(stream.release(a.slot + 100), std::logic_error);
}

TEST(BlockStream, ReaderErrorReachesTheConsumerAfterTheGoodBlocks) {
  CountingSource source(100, 3);
  source.fail_at_row = 45;  // block 4 of blocks of 10
  Slots slots(2, 10, 3);
  BlockStream stream(source, 10, slots.pointers());
  BlockStream::Block block;
  int delivered = 0;
  try {
    while (stream.next(block)) {
      expect_block_content(source, block);
      stream.release(block.slot);
      ++delivered;
    }
    FAIL() << "the read error was lost";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "counting.h5: cannot read rows 40");
  }
  EXPECT_EQ(delivered, 4);
  EXPECT_FALSE(stream.next(block));
}

TEST(BlockStream, EarlyDestructionDoesNotHang) {
  CountingSource source(10000, 4);
  source.read_delay = std::chrono::milliseconds(2);
  const auto start = Clock::now();
  for (int held = 0; held <= 2; ++held) {
    Slots slots(2, 16, 4);
    BlockStream stream(source, 16, slots.pointers());
    BlockStream::Block block;
    for (int i = 0; i < held; ++i) ASSERT_TRUE(stream.next(block));  // never released
  }
  {
    // Destroyed while the consumer is unwinding from its own exception.
    Slots slots(2, 16, 4);
    try {
      BlockStream stream(source, 16, slots.pointers());
      BlockStream::Block block;
      ASSERT_TRUE(stream.next(block));
      throw std::runtime_error("consumer failed");
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "consumer failed");
    }
  }
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 5.0);
}

TEST(BlockStream, ReadingOverlapsTheConsumer) {
  constexpr int kBlocks = 8;
  constexpr auto kStep = std::chrono::milliseconds(30);
  CountingSource source(kBlocks * 4, 2);
  source.read_delay = kStep;
  Slots slots(2, 4, 2);
  const auto start = Clock::now();
  {
    BlockStream stream(source, 4, slots.pointers());
    BlockStream::Block block;
    while (stream.next(block)) {
      std::this_thread::sleep_for(kStep);  // the consumer's work on this block
      stream.release(block.slot);
    }
    EXPECT_GE(stream.read_seconds(), kBlocks * 0.030 * 0.9);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // Serial: 16 steps (0.48 s); overlapped: about 9 (0.27 s). Leave room for a loaded machine.
  EXPECT_LT(seconds, 2 * kBlocks * 0.030 * 0.8) << "read and work did not overlap";
}

TEST(BlockStream, RefusesFewerThanTwoSlots) {
  CountingSource source(4, 1);
  std::vector<float> one(4);
  EXPECT_THROW(BlockStream(source, 4, {one.data()}), std::logic_error);
}

}  // namespace
}  // namespace unfriend
