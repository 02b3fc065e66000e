#include "cuda/cuda_backend.h"

#include <fmt/format.h>

#include "cuda/gpu_components.h"
#include "cuda/gpu_knn.h"
#include "cuda/gpu_resources.h"
#include "host/core/error.h"
#include "host/core/progress.h"

namespace unfriend {

namespace {

class CudaBackend final : public Backend {
 public:
  CudaBackend(const BackendOptions& options, const CudaTuning& tuning)
      : tuning_(tuning), resources_(options.gpu_device, options.gpu_memory_bytes) {
    if (tuning_.host_threads == 0) tuning_.host_threads = options.threads;
  }

  std::string name() const override { return "cuda"; }

  KnnGraph knn_graph(MatrixView data, const KnnParams& params, KnnReport* report,
                     KnnCheckpoint* checkpoint = nullptr) override {
    if (params.mode == KnnMode::ivf || params.mode == KnnMode::hnsw) {
      log_info(fmt::format("knn: the CUDA backend searches exactly; mode '{}' is not used",
                           to_string(params.mode)));
    }
    gpu::KnnRows rows;
    rows.host = data.data;
    rows.rows = data.rows;
    rows.cols = data.cols;
    gpu::GpuKnnStats stats;
    KnnGraph graph = gpu::gpu_knn_graph(resources_, rows, params, tuning_, &stats, checkpoint);
    if (report != nullptr) {
      *report = KnnReport();
      report->mode_used = KnnMode::exact;
      report->seconds = stats.seconds;
    }
    return graph;
  }

  std::vector<int64_t> threshold_components(const KnnGraph& graph, float min_similarity,
                                            const std::vector<uint8_t>& include) override {
    return gpu::gpu_threshold_components(resources_, graph, min_similarity, include, tuning_);
  }

 private:
  CudaTuning tuning_;
  gpu::GpuResources resources_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& options) {
  return make_cuda_backend(options, CudaTuning());
}

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& options,
                                           const CudaTuning& tuning) {
  std::string reason;
  if (!cuda_device_usable(options.gpu_device, &reason)) {
    throw InputError(fmt::format("--backend cuda: no usable GPU ({})", reason));
  }
  if (options.gpu_memory_bytes < 0) {
    throw InputError(
        fmt::format("GPU memory cap must not be negative, got {}", options.gpu_memory_bytes));
  }
  return std::make_unique<CudaBackend>(options, tuning);
}

}  // namespace unfriend
