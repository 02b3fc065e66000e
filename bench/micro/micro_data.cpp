#include "bench/micro/micro_data.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

#include "host/core/backend.h"
#include "host/cpu/cpu_backend.h"
#include "host/pipeline/density.h"
#include "host/pipeline/preprocess.h"
#include "host/synth/synth.h"

namespace unfriend::micro {

namespace fs = std::filesystem;

namespace {

// The scratch folder for benchmark input files, removed at exit (benchmarks never leave files).
class ScratchDir {
 public:
  ScratchDir() {
    path_ = fs::temp_directory_path() / fmt::format("unfriend-micro-{}", ::getpid());
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

ScratchDir& scratch() {
  static ScratchDir dir;
  return dir;
}

SynthParams params_for(int64_t rows) {
  SynthParams params;
  params.rows = rows;
  params.dims = kDims;
  params.seed = 1;
  return params;
}

// One cache per product; benchmarks run one after another in one thread, so no locking.
template <typename T>
std::map<int64_t, std::unique_ptr<T>>& cache() {
  static std::map<int64_t, std::unique_ptr<T>> entries;
  return entries;
}

struct SynthEntry {
  SynthData data;
  Matrix raw;
};

const SynthEntry& synth(int64_t rows) {
  auto& entries = cache<SynthEntry>();
  auto it = entries.find(rows);
  if (it == entries.end()) {
    auto entry = std::make_unique<SynthEntry>();
    entry->data = generate_synth(params_for(rows));
    entry->raw.rows = entry->data.rows;
    entry->raw.cols = entry->data.dims;
    entry->raw.values = entry->data.features;
    it = entries.emplace(rows, std::move(entry)).first;
  }
  return *it->second;
}

}  // namespace

const Matrix& raw_features(int64_t rows) { return synth(rows).raw; }

const Matrix& preprocessed_features(int64_t rows) {
  auto& entries = cache<Matrix>();
  auto it = entries.find(rows);
  if (it == entries.end()) {
    auto matrix = std::make_unique<Matrix>(raw_features(rows));
    standardize(*matrix, column_stats(*matrix), 10.0);
    normalize_for_metric(*matrix, Metric::cosine);
    it = entries.emplace(rows, std::move(matrix)).first;
  }
  return *it->second;
}

const KnnGraph& exact_graph(int64_t rows) {
  auto& entries = cache<KnnGraph>();
  auto it = entries.find(rows);
  if (it == entries.end()) {
    std::unique_ptr<Backend> backend = make_cpu_backend(BackendOptions{});
    KnnParams params;
    params.k = kNeighbours;
    params.mode = KnnMode::exact;
    params.metric = Metric::cosine;
    KnnReport report;
    auto graph = std::make_unique<KnnGraph>(
        backend->knn_graph(preprocessed_features(rows).view(), params, &report));
    it = entries.emplace(rows, std::move(graph)).first;
  }
  return *it->second;
}

const std::vector<float>& graph_distances(int64_t rows) {
  auto& entries = cache<std::vector<float>>();
  auto it = entries.find(rows);
  if (it == entries.end()) {
    auto distances =
        std::make_unique<std::vector<float>>(edge_distances(exact_graph(rows), Metric::cosine, {}));
    it = entries.emplace(rows, std::move(distances)).first;
  }
  return *it->second;
}

const std::string& synth_file(int64_t rows) {
  auto& entries = cache<std::string>();
  auto it = entries.find(rows);
  if (it == entries.end()) {
    auto path = std::make_unique<std::string>(
        (scratch().path() / fmt::format("synth-{}.h5", rows)).string());
    write_synth(*path, synth(rows).data);
    it = entries.emplace(rows, std::move(path)).first;
  }
  return *it->second;
}

}  // namespace unfriend::micro
