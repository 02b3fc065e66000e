// Preprocessing (host/pipeline/preprocess.h): the per-feature statistics pass, standardisation
// and unit-length scaling. Memory-bound passes over N x 64 floats: bytes/s is the number to
// compare with memory bandwidth.
#include <benchmark/benchmark.h>

#include "bench/micro/micro_data.h"
#include "host/pipeline/preprocess.h"

namespace unfriend::micro {
namespace {

void set_counters(benchmark::State& state, const Matrix& m) {
  const double bytes = static_cast<double>(m.rows) * m.cols * sizeof(float);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(m.rows),
                                                benchmark::Counter::kIsIterationInvariantRate);
}

void BM_column_stats(benchmark::State& state) {
  const Matrix& raw = raw_features(state.range(0));
  for (auto _ : state) {
    FeatureStats stats = column_stats(raw);
    benchmark::DoNotOptimize(stats.location.data());
  }
  set_counters(state, raw);
}
BENCHMARK(BM_column_stats)
    ->Arg(200000)
    ->Arg(1000000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_standardize(benchmark::State& state) {
  const Matrix& raw = raw_features(state.range(0));
  const FeatureStats stats = column_stats(raw);
  Matrix work = raw;
  for (auto _ : state) {
    state.PauseTiming();
    work.values = raw.values;  // standardise the raw values every time, not the result again
    state.ResumeTiming();
    standardize(work, stats, 10.0);
    benchmark::DoNotOptimize(work.values.data());
  }
  set_counters(state, raw);
}
BENCHMARK(BM_standardize)
    ->Arg(200000)
    ->Arg(1000000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_normalize_cosine(benchmark::State& state) {
  const Matrix& raw = raw_features(state.range(0));
  Matrix work = raw;
  for (auto _ : state) {
    state.PauseTiming();
    work.values = raw.values;
    state.ResumeTiming();
    normalize_for_metric(work, Metric::cosine);
    benchmark::DoNotOptimize(work.values.data());
  }
  set_counters(state, raw);
}
BENCHMARK(BM_normalize_cosine)
    ->Arg(200000)
    ->Arg(1000000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace unfriend::micro

BENCHMARK_MAIN();
