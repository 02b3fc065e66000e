#include "cuda/stage_timer.h"

#include <utility>

#include "cuda/cuda_error.h"
#include "cuda/cuda_event.h"

namespace unfriend::gpu {

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::upload:
      return "upload";
    case Stage::convert:
      return "convert";
    case Stage::gemm:
      return "gemm";
    case Stage::select:
      return "select";
    case Stage::rescore:
      return "rescore";
    case Stage::download:
      return "download";
  }
  return "?";
}

StageTimer::~StageTimer() {
  for (cudaEvent_t event : all_) UNFRIEND_CUDA_TRY_NO_THROW(cudaEventDestroy(event));
}

cudaEvent_t StageTimer::take_event() {
  if (!pool_.empty()) {
    cudaEvent_t event = pool_.back();
    pool_.pop_back();
    return event;
  }
  cudaEvent_t event = nullptr;
  UNFRIEND_CUDA_TRY(cudaEventCreate(&event));
  all_.push_back(event);
  return event;
}

void StageTimer::begin(Stage stage, cudaStream_t stream) {
  if (!enabled_) return;
  cudaEvent_t start = take_event();
  UNFRIEND_CUDA_TRY(cudaEventRecord(start, stream));
  open_[static_cast<int>(stage)] = start;
}

void StageTimer::end(Stage stage, cudaStream_t stream) {
  if (!enabled_) return;
  cudaEvent_t& start = open_[static_cast<int>(stage)];
  if (start == nullptr) return;
  cudaEvent_t stop = take_event();
  UNFRIEND_CUDA_TRY(cudaEventRecord(stop, stream));
  recorded_.push_back(Pair{stage, start, stop});
  start = nullptr;
}

void StageTimer::collect(bool wait) {
  if (!enabled_) return;
  std::vector<Pair> pending;
  for (const Pair& pair : recorded_) {
    if (wait) {
      UNFRIEND_CUDA_TRY(cudaEventSynchronize(pair.stop));
    } else {
      if (!event_completed(pair.stop)) {
        pending.push_back(pair);
        continue;
      }
    }
    float ms = 0;
    UNFRIEND_CUDA_TRY(cudaEventElapsedTime(&ms, pair.start, pair.stop));
    totals_[static_cast<int>(pair.stage)] += ms;
    pool_.push_back(pair.start);
    pool_.push_back(pair.stop);
  }
  recorded_ = std::move(pending);
}

}  // namespace unfriend::gpu
