// HDF5 block reads through unfriend::FeatureReader against a plain sequential std::fread of the
// same file's bytes: how close the reader (HDF5, type conversion, NaN/Inf checks) comes to what
// the file system can give. The file is read just before, so both measure the page cache, not
// the disk: the reader's overhead is what is left.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "bench/micro/micro_data.h"
#include "host/io/feature_reader.h"

namespace unfriend::micro {
namespace {

void BM_feature_reader_blocks(benchmark::State& state) {
  const int64_t rows = state.range(0);
  const std::string& path = synth_file(rows);
  FeatureReader reader(path);
  const int64_t cols = reader.info().cols;
  // range(1) = 0: the reader's own suggestion (what the sweep uses), else rows per block.
  const int64_t block = state.range(1) > 0 ? state.range(1) : reader.suggested_block_rows();
  std::vector<float> buffer(static_cast<size_t>(block * cols));
  for (auto _ : state) {
    for (int64_t begin = 0; begin < rows; begin += block) {
      const int64_t count = std::min(block, rows - begin);
      reader.read_rows(begin, count, buffer.data());
    }
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  const double bytes = static_cast<double>(rows) * cols * sizeof(float);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["block_rows"] = static_cast<double>(block);
}
BENCHMARK(BM_feature_reader_blocks)
    ->ArgsProduct({{200000}, {0, 4096, 65536}})
    ->ArgNames({"rows", "block"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The baseline: the whole file, start to end, in 64 MiB freads. The file also holds the ids and
// the truth, so it moves more bytes than the reader: bytes/s counts the bytes each one moved,
// rows/s the same rows for both.
void BM_fread_baseline(benchmark::State& state) {
  const int64_t rows = state.range(0);
  const std::string& path = synth_file(rows);
  const auto file_bytes = std::filesystem::file_size(path);
  std::vector<char> buffer(64u << 20);
  for (auto _ : state) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      state.SkipWithError("cannot open the benchmark file");
      break;
    }
    size_t total = 0;
    size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) total += got;
    std::fclose(f);
    if (total != file_bytes) {
      state.SkipWithError("short read");
      break;
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * static_cast<double>(file_bytes)));
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["file_bytes"] = static_cast<double>(file_bytes);
}
BENCHMARK(BM_fread_baseline)
    ->Arg(200000)
    ->ArgName("rows")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace unfriend::micro

BENCHMARK_MAIN();
