// The graph stages after kNN, on the exact graph of synthetic accounts: connected components of
// the thresholded graph (Backend::threshold_components, union-find on the CPU backend) and the
// clustering stage of a sweep: the density model (fit_density_model), near-duplicate groups
// (find_duplicate_groups) and kNN-DBSCAN clusters with their scoring (find_clusters).
#include <benchmark/benchmark.h>

#include <memory>

#include "bench/micro/micro_data.h"
#include "host/core/backend.h"
#include "host/core/config.h"
#include "host/cpu/cpu_backend.h"
#include "host/pipeline/density.h"
#include "host/pipeline/groups.h"

namespace unfriend::micro {
namespace {

void set_edge_counters(benchmark::State& state, const KnnGraph& graph) {
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(graph.rows),
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.counters["edges/s"] = benchmark::Counter(static_cast<double>(graph.rows) * graph.k,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  // The graph's bytes: neighbour index (8) and similarity (4) per edge.
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * static_cast<double>(graph.rows) * graph.k * 12));
}

// range(1): the similarity threshold in thousandths. 990: near-duplicate-like (few edges kept),
// 800: a loose density threshold (most edges of tight communities kept).
void BM_threshold_components(benchmark::State& state) {
  const KnnGraph& graph = exact_graph(state.range(0));
  const float threshold = static_cast<float>(state.range(1)) / 1000.0f;
  std::unique_ptr<Backend> backend = make_cpu_backend(BackendOptions{});
  const std::vector<uint8_t> all;
  for (auto _ : state) {
    std::vector<int64_t> labels = backend->threshold_components(graph, threshold, all);
    benchmark::DoNotOptimize(labels.data());
  }
  set_edge_counters(state, graph);
}
BENCHMARK(BM_threshold_components)
    ->ArgsProduct({{50000}, {990, 800}})
    ->ArgNames({"rows", "sim_x1000"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_edge_distances(benchmark::State& state) {
  const KnnGraph& graph = exact_graph(state.range(0));
  for (auto _ : state) {
    std::vector<float> d = edge_distances(graph, Metric::cosine, {});
    benchmark::DoNotOptimize(d.data());
  }
  set_edge_counters(state, graph);
}
BENCHMARK(BM_edge_distances)
    ->Arg(50000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_fit_density_model(benchmark::State& state) {
  const KnnGraph& graph = exact_graph(state.range(0));
  const std::vector<float>& distances = graph_distances(state.range(0));
  const SweepConfig config;
  for (auto _ : state) {
    DensityModel model = fit_density_model(graph, distances, Metric::cosine, config);
    benchmark::DoNotOptimize(model.eps);
  }
  set_edge_counters(state, graph);
}
BENCHMARK(BM_fit_density_model)
    ->Arg(50000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_find_duplicate_groups(benchmark::State& state) {
  const KnnGraph& graph = exact_graph(state.range(0));
  const std::vector<float>& distances = graph_distances(state.range(0));
  const SweepConfig config;
  const DensityModel model = fit_density_model(graph, distances, Metric::cosine, config);
  std::unique_ptr<Backend> backend = make_cpu_backend(BackendOptions{});
  size_t groups = 0;
  for (auto _ : state) {
    DupGroups dups = find_duplicate_groups(*backend, graph, distances, Metric::cosine, model);
    groups = dups.groups.size();
    benchmark::DoNotOptimize(dups.label.data());
  }
  set_edge_counters(state, graph);
  state.counters["groups"] = static_cast<double>(groups);
}
BENCHMARK(BM_find_duplicate_groups)
    ->Arg(50000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_find_clusters(benchmark::State& state) {
  const KnnGraph& graph = exact_graph(state.range(0));
  const std::vector<float>& distances = graph_distances(state.range(0));
  const SweepConfig config;
  const DensityModel model = fit_density_model(graph, distances, Metric::cosine, config);
  std::unique_ptr<Backend> backend = make_cpu_backend(BackendOptions{});
  size_t clusters = 0;
  for (auto _ : state) {
    Clusters found = find_clusters(*backend, graph, distances, Metric::cosine, model, config);
    clusters = found.clusters.size();
    benchmark::DoNotOptimize(found.label.data());
  }
  set_edge_counters(state, graph);
  state.counters["clusters"] = static_cast<double>(clusters);
}
BENCHMARK(BM_find_clusters)
    ->Arg(50000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace unfriend::micro

BENCHMARK_MAIN();
