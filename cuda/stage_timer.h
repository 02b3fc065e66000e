// Per-stage GPU time from CUDA event pairs, summed over many launches: what the benchmark
// reports as the GEMM / selection split. Disabled timers record nothing and cost nothing.
#pragma once

#include <cuda_runtime_api.h>

#include <array>
#include <vector>

namespace unfriend::gpu {

enum class Stage { upload, convert, gemm, select, rescore, download };
constexpr int kStageCount = 6;
const char* stage_name(Stage stage);

class StageTimer {
 public:
  explicit StageTimer(bool enabled) : enabled_(enabled) {}
  ~StageTimer();
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

  bool enabled() const { return enabled_; }

  /// Records the start / end of `stage` on `stream`. Pairs of one stage must not interleave on
  /// different streams.
  void begin(Stage stage, cudaStream_t stream);
  void end(Stage stage, cudaStream_t stream);

  /// Adds up the pairs that have finished and recycles their events; with wait, first waits for
  /// all recorded pairs.
  void collect(bool wait);

  double milliseconds(Stage stage) const { return totals_[static_cast<int>(stage)]; }

 private:
  cudaEvent_t take_event();

  struct Pair {
    Stage stage;
    cudaEvent_t start;
    cudaEvent_t stop;
  };
  bool enabled_;
  std::array<cudaEvent_t, kStageCount> open_{};
  std::vector<Pair> recorded_;
  std::vector<cudaEvent_t> pool_;
  std::vector<cudaEvent_t> all_;
  std::array<double, kStageCount> totals_{};
};

}  // namespace unfriend::gpu
