#include "host/cpu/cpu_backend.h"

#include "host/cpu/components.h"
#include "host/cpu/cpu_knn.h"
#include "host/cpu/density_groups.h"
#include "host/cpu/lockstep_pairs.h"
#include "host/cpu/spanning_forest.h"
#include "host/cpu/thread_limit.h"

namespace unfriend {

namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendOptions& options) : options_(options) {}

  std::string name() const override { return "cpu"; }

  KnnFootprint knn_footprint(int64_t rows, int64_t /*cols*/,
                             const KnnParams& params) const override {
    KnnFootprint footprint;
    footprint.mode = resolve_knn_mode(rows, params);
    return footprint;  // its own buffers are the memory plan's CPU modes
  }

  KnnGraph knn_graph(MatrixView data, const KnnParams& params, KnnReport* report,
                     KnnCheckpoint* checkpoint = nullptr) override {
    ThreadLimit limit(options_.threads);
    return cpu_knn_graph(data, params, report, checkpoint);
  }

  KnnGraph knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows,
                       const RowsKnnParams& params) override {
    ThreadLimit limit(options_.threads);
    return cpu_knn_of_rows(data, query_rows, params);
  }

  std::vector<int64_t> threshold_components(const KnnGraph& graph, float min_similarity,
                                            const std::vector<uint8_t>& include) override {
    return cpu_threshold_components(graph, min_similarity, include);
  }

  DensityLabels density_labels(const KnnGraph& graph, const std::vector<float>& distances,
                               const std::vector<float>& core_distance, double eps) override {
    return cpu_density_labels(graph, distances, core_distance, eps);
  }

  GroupTable group_statistics(const KnnGraph& graph, const std::vector<int64_t>& label,
                              const GroupStatsOptions& options) override {
    return cpu_group_statistics(graph, label, options);
  }

  SpanningForest spanning_forest(const KnnGraph& graph, const std::vector<float>& distances,
                                 const std::vector<float>& core_distance) override {
    return cpu_spanning_forest(graph, distances, core_distance);
  }

  std::vector<uint64_t> lockstep_signatures(const ActionIndex& index,
                                            const std::vector<uint8_t>& eligible,
                                            const CandidateOptions& options) override {
    ThreadLimit limit(options_.threads);
    return minhash_signatures(index, eligible, options);
  }

  std::vector<PairMatch> lockstep_match_pairs(
      const ActionIndex& index, const std::vector<AccountPair>& pairs, const LockstepRule& rule,
      const std::function<void(int64_t)>& matched) override {
    ThreadLimit limit(options_.threads);
    return verify_pairs(index, pairs, rule, matched);
  }

 private:
  BackendOptions options_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace unfriend
