// The kNN graph on the CPU backend (make_cpu_backend, FAISS) per mode: exact (flat search in
// blocks), ivf (k-means lists, nprobe tuned on a sample to recall >= 0.96) and hnsw. The
// expensive stage of a sweep; the recall counter says what an approximate mode gave for its speed.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench/micro/micro_data.h"
#include "host/core/backend.h"
#include "host/cpu/cpu_backend.h"
#include "host/cpu/knn_recall.h"

namespace unfriend::micro {
namespace {

void BM_knn(benchmark::State& state, KnnMode mode) {
  const int64_t rows = state.range(0);
  const Matrix& data = preprocessed_features(rows);
  std::unique_ptr<Backend> backend = make_cpu_backend(BackendOptions{});
  KnnParams params;
  params.k = kNeighbours;
  params.mode = mode;
  params.metric = Metric::cosine;
  KnnGraph graph;
  KnnReport report;
  for (auto _ : state) {
    graph = backend->knn_graph(data.view(), params, &report);
    benchmark::DoNotOptimize(graph.neighbors.data());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * static_cast<double>(rows) * data.cols * 4));
  if (mode != KnnMode::exact) {
    state.counters["recall@k"] =
        knn_recall_on_sample(data.view(), graph, Metric::cosine, 500, params.seed);
  }
  if (mode == KnnMode::ivf) state.counters["nprobe"] = report.ivf_nprobe;
}
BENCHMARK_CAPTURE(BM_knn, exact, KnnMode::exact)
    ->Arg(20000)
    ->Arg(50000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_knn, ivf, KnnMode::ivf)
    ->Arg(50000)
    ->Arg(200000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_knn, hnsw, KnnMode::hnsw)
    ->Arg(50000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace
}  // namespace unfriend::micro

BENCHMARK_MAIN();
