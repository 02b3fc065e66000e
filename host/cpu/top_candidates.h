// The best `width` candidates of every row, kept while scores stream past: the selection half
// of the fused exact kNN (score_tile.h is the scoring half).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace unfriend {

/// One kept candidate: its score and its row.
struct Candidate {
  float score;
  int32_t row;
};

/// The canonical order of candidates: higher score first, then lower row. A total order on
/// (score, row), so the set kept does not depend on the order candidates arrive in.
inline bool candidate_before(const Candidate& a, const Candidate& b) {
  return a.score != b.score ? a.score > b.score : a.row < b.row;
}

/// For each of `rows` rows, its `width` best candidates (candidate_before) among all offered,
/// and a running threshold: the worst kept score once `width` are kept, -inf before. A score
/// below it cannot be among the row's best, so the kernel rejects most scores with one
/// comparison and offers only the few that pass. The kept candidates of a row form a binary
/// heap with the worst on top, so an offer that enters costs one sift-down of log2(width)
/// levels. Rows are independent: threads may offer to different rows at once, never to the
/// same row.
class TopCandidates {
 public:
  TopCandidates(int64_t rows, int width)
      : width_(width),
        entries_(static_cast<size_t>(rows) * static_cast<size_t>(width)),
        held_(static_cast<size_t>(rows), 0),
        threshold_(static_cast<size_t>(rows), -std::numeric_limits<float>::infinity()) {}

  int width() const { return width_; }
  /// Per row: scores below it cannot enter. Contiguous, so a kernel can compare a vector of
  /// scores of consecutive rows against it at once.
  const float* thresholds() const { return threshold_.data(); }

  __attribute__((always_inline)) void offer(int64_t row, float score, int32_t candidate) {
    Candidate* heap = entries_.data() + static_cast<size_t>(row) * static_cast<size_t>(width_);
    int32_t& held = held_[static_cast<size_t>(row)];
    const Candidate entry{score, candidate};
    if (held < width_) {
      heap[held++] = entry;
      if (held == width_) {
        std::make_heap(heap, heap + width_, candidate_before);  // front: the worst kept
        threshold_[static_cast<size_t>(row)] = heap[0].score;
      }
      return;
    }
    if (!candidate_before(entry, heap[0])) return;
    replace_worst(heap, entry);
    threshold_[static_cast<size_t>(row)] = heap[0].score;
  }

  /// Row `row`'s kept candidate rows (any order) into out[0, width): -1 where fewer arrived.
  void take_rows(int64_t row, int64_t* out) const {
    const Candidate* heap =
        entries_.data() + static_cast<size_t>(row) * static_cast<size_t>(width_);
    const int32_t held = held_[static_cast<size_t>(row)];
    for (int j = 0; j < width_; ++j) out[j] = j < held ? heap[j].row : -1;
  }

  /// Offers every candidate `other` keeps (of the same rows) to this one. The canonical order
  /// is total, so lists split among threads and merged in any order keep one set.
  void merge(const TopCandidates& other) {
    for (int64_t row = 0; row < static_cast<int64_t>(held_.size()); ++row) {
      int count = 0;
      const Candidate* kept_there = other.kept(row, &count);
      for (int j = 0; j < count; ++j) {
        if (kept_there[j].score >= threshold_[static_cast<size_t>(row)]) {
          offer(row, kept_there[j].score, kept_there[j].row);
        }
      }
    }
  }

  /// Row `row`'s kept candidates (any order): `count` of them.
  const Candidate* kept(int64_t row, int* count) const {
    *count = held_[static_cast<size_t>(row)];
    return entries_.data() + static_cast<size_t>(row) * static_cast<size_t>(width_);
  }

  /// Bytes held for `rows` rows of `width`: what a memory plan counts.
  static int64_t bytes_for(int64_t rows, int width) {
    return rows * (static_cast<int64_t>(width) * static_cast<int64_t>(sizeof(Candidate)) +
                   static_cast<int64_t>(sizeof(int32_t) + sizeof(float)));
  }

 private:
  // The top (worst) leaves, `entry` sifts down from the root to where it belongs.
  void replace_worst(Candidate* heap, const Candidate& entry) const {
    int hole = 0;
    while (true) {
      int child = 2 * hole + 1;
      if (child >= width_) break;
      if (child + 1 < width_ && candidate_before(heap[child], heap[child + 1])) ++child;
      if (!candidate_before(entry, heap[child])) break;  // entry is worse than both children
      heap[hole] = heap[child];
      hole = child;
    }
    heap[hole] = entry;
  }

  int width_;
  std::vector<Candidate> entries_;
  std::vector<int32_t> held_;
  std::vector<float> threshold_;
};

}  // namespace unfriend
