#include "cuda/cuda_backend.h"

#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "cuda/cuda_error.h"
#include "cuda/gpu_clusters.h"
#include "cuda/gpu_components.h"
#include "cuda/gpu_features.h"
#include "cuda/gpu_forest.h"
#include "cuda/gpu_knn.h"
#include "cuda/gpu_lockstep.h"
#include "cuda/gpu_resources.h"
#include "cuda/knn_plan.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/cpu_knn.h"
#include "host/cpu/lockstep_pairs.h"
#include "kernels/select_k.h"

namespace unfriend {

namespace {

// More neighbours than the GPU's longest selection queue holds: the CPU's exact search, which
// has no such limit, with the rows brought to the host when they live on the device.
KnnGraph cpu_fallback_knn(const gpu::KnnRows& rows, const KnnParams& params, KnnReport* report,
                          KnnCheckpoint* checkpoint) {
  log_info(
      fmt::format("knn: k={} is above the CUDA backend's {} neighbours; searching exactly on "
                  "the CPU",
                  params.k, kernels::kMaxSelectQueue));
  std::vector<float> host_rows;
  const float* data = rows.host;
  if (data == nullptr) {
    host_rows.resize(static_cast<size_t>(rows.rows * rows.cols));
    if (!host_rows.empty()) {
      UNFRIEND_CUDA_TRY(cudaMemcpy(host_rows.data(), rows.device, host_rows.size() * sizeof(float),
                                   cudaMemcpyDeviceToHost));
    }
    data = host_rows.data();
  }
  KnnParams exact = params;
  exact.mode = KnnMode::exact;
  return cpu_knn_graph(MatrixView{data, rows.rows, rows.cols}, exact, report, checkpoint);
}

// The exact GPU search of rows held on the host or on the device.
KnnGraph exact_gpu_knn(gpu::GpuResources& resources, const CudaTuning& tuning,
                       const gpu::KnnRows& rows, const KnnParams& params, KnnReport* report,
                       KnnCheckpoint* checkpoint) {
  if (std::min<int64_t>(params.k, rows.rows - 1) > kernels::kMaxSelectQueue) {
    return cpu_fallback_knn(rows, params, report, checkpoint);
  }
  if (params.mode == KnnMode::ivf || params.mode == KnnMode::hnsw) {
    log_info(fmt::format("knn: the CUDA backend searches exactly; mode '{}' is not used",
                         to_string(params.mode)));
  }
  gpu::GpuKnnStats stats;
  KnnGraph graph = gpu::gpu_knn_graph(resources, rows, params, tuning, &stats, checkpoint);
  if (report != nullptr) {
    *report = KnnReport();
    report->mode_used = KnnMode::exact;
    report->seconds = stats.seconds;
  }
  return graph;
}

class CudaBackend final : public Backend {
 public:
  CudaBackend(const BackendOptions& options, const CudaTuning& tuning)
      : tuning_(tuning), resources_(options.gpu_device, options.gpu_memory_bytes) {
    if (tuning_.host_threads == 0) tuning_.host_threads = options.threads;
  }

  std::string name() const override { return "cuda"; }

  KnnFootprint knn_footprint(int64_t rows, int64_t cols, const KnnParams& params) const override {
    KnnFootprint footprint;
    footprint.mode = KnnMode::exact;  // every mode searches exactly here (exact_gpu_knn)
    footprint.on_device = true;
    footprint.host_staging_bytes = gpu::host_staging_bytes(rows, cols, params.k, tuning_);
    return footprint;
  }

  KnnGraph knn_graph(MatrixView data, const KnnParams& params, KnnReport* report,
                     KnnCheckpoint* checkpoint = nullptr) override {
    gpu::KnnRows rows;
    rows.host = data.data;
    rows.rows = data.rows;
    rows.cols = data.cols;
    return exact_gpu_knn(resources_, tuning_, rows, params, report, checkpoint);
  }

  // The cohesion test's rows are on the host: the host search, until a device one is measured.
  KnnGraph knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows,
                       const RowsKnnParams& params) override {
    return cpu_knn_of_rows(data, query_rows, params);
  }

  bool prepare_features(const RowSource& source, const PrepareOptions& options,
                        PreparedFeatures* out) override {
    return gpu::gpu_prepare_features(resources_, source, options, tuning_, out);
  }

  KnnGraph knn_graph_of(const PreparedFeatures& features, const KnnParams& params,
                        KnnReport* report, KnnCheckpoint* checkpoint = nullptr) override {
    const auto* resident = dynamic_cast<const gpu::DeviceRows*>(features.device.get());
    if (resident == nullptr) {
      return knn_graph(features.matrix.view(), params, report, checkpoint);
    }
    gpu::KnnRows rows;
    rows.device = resident->data();
    rows.rows = resident->rows();
    rows.cols = resident->cols();
    return exact_gpu_knn(resources_, tuning_, rows, params, report, checkpoint);
  }

  std::vector<int64_t> threshold_components(const KnnGraph& graph, float min_similarity,
                                            const std::vector<uint8_t>& include) override {
    return gpu::gpu_threshold_components(resources_, graph, min_similarity, include, tuning_);
  }

  DensityLabels density_labels(const KnnGraph& graph, const std::vector<float>& distances,
                               const std::vector<float>& core_distance, double eps) override {
    return gpu::gpu_density_labels(resources_, graph, distances, core_distance, eps, tuning_);
  }

  GroupTable group_statistics(const KnnGraph& graph, const std::vector<int64_t>& label,
                              const GroupStatsOptions& options) override {
    return gpu::gpu_group_statistics(resources_, graph, label, options, tuning_);
  }

  SpanningForest spanning_forest(const KnnGraph& graph, const std::vector<float>& distances,
                                 const std::vector<float>& core_distance) override {
    return gpu::gpu_spanning_forest(resources_, graph, distances, core_distance, tuning_);
  }

  std::vector<uint64_t> lockstep_signatures(const ActionIndex& index,
                                            const std::vector<uint8_t>& eligible,
                                            const CandidateOptions& options) override {
    std::vector<uint64_t> out;
    if (gpu::gpu_lockstep_signatures(resources_, index, eligible, options, tuning_, out))
      return out;
    log_info("lockstep signatures: the action index does not fit in device memory; on the CPU");
    return minhash_signatures(index, eligible, options);
  }

  std::vector<PairMatch> lockstep_match_pairs(
      const ActionIndex& index, const std::vector<AccountPair>& pairs, const LockstepRule& rule,
      const std::function<void(int64_t)>& matched) override {
    std::vector<PairMatch> out;
    if (gpu::gpu_lockstep_match_pairs(resources_, index, pairs, rule, tuning_, out, matched)) {
      return out;
    }
    log_info("lockstep pair matches: the action index does not fit in device memory; on the CPU");
    return verify_pairs(index, pairs, rule, matched);
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
