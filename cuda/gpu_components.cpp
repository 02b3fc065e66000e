#include "cuda/gpu_components.h"

#include <fmt/format.h>

#include <algorithm>

#include "cuda/cuda_error.h"
#include "cuda/device_stack.h"
#include "cuda/gpu_knn.h"
#include "host/core/error.h"
#include "kernels/threshold_edges.h"
#include "kernels/union_find.h"

namespace unfriend::gpu {

namespace {

constexpr int64_t kDefaultEdgeTileRows = int64_t{1} << 20;
// A thresholded kNN graph keeps a minority of its edges; a quarter of the worst case makes a
// retry rare without sizing every tile for the worst.
constexpr int64_t kInitialCapacityDivisor = 4;
constexpr int64_t kMinInitialCapacity = 1024;

int64_t aligned(int64_t bytes) {
  return static_cast<int64_t>(
      StackArena::aligned(static_cast<size_t>(std::max<int64_t>(bytes, 1))));
}

int64_t fixed_bytes(int64_t rows, bool has_include) {
  return aligned(rows * 4) + (has_include ? aligned(rows) : 0) + aligned(rows * 8) +
         aligned(2 * static_cast<int64_t>(sizeof(unsigned long long)));
}

int64_t tile_bytes(int64_t tile_rows, int k) {
  const int64_t cells = tile_rows * k;
  return aligned(cells * 8) + aligned(cells * 4) + aligned(cells * 2 * 4);
}

}  // namespace

EdgeTilePlan plan_edge_tiles(int64_t rows, int k, bool has_include, int64_t budget_bytes,
                             const CudaTuning& tuning) {
  EdgeTilePlan plan;
  const int64_t fixed = fixed_bytes(rows, has_include);
  int64_t tile_rows = std::max<int64_t>(
      1, std::min(rows, tuning.edge_tile_rows > 0 ? tuning.edge_tile_rows : kDefaultEdgeTileRows));
  while (tile_rows > 1 && fixed + tile_bytes(tile_rows, k) > budget_bytes) tile_rows /= 2;
  if (fixed + tile_bytes(tile_rows, k) > budget_bytes) {
    constexpr double mib = 1 << 20;
    throw RuntimeFailure(fmt::format(
        "GPU memory budget of {:.1f} MiB is too small for the components of a kNN graph of {} "
        "rows (needs at least {:.1f} MiB)",
        static_cast<double>(budget_bytes) / mib, rows,
        static_cast<double>(fixed + tile_bytes(tile_rows, k)) / mib));
  }
  plan.tile_rows = tile_rows;
  plan.max_capacity = tile_rows * k;
  plan.initial_capacity =
      tuning.initial_edge_capacity > 0
          ? std::min(tuning.initial_edge_capacity, plan.max_capacity)
          : std::min(plan.max_capacity,
                     std::max(kMinInitialCapacity, plan.max_capacity / kInitialCapacityDivisor));
  plan.device_bytes = fixed + tile_bytes(tile_rows, k);
  return plan;
}

std::vector<int64_t> gpu_threshold_components(GpuResources& resources, const KnnGraph& graph,
                                              float min_similarity,
                                              const std::vector<uint8_t>& include,
                                              const CudaTuning& tuning, ComponentsStats* stats) {
  const int64_t rows = graph.rows;
  const int k = graph.k;
  check_components_input(graph, include);
  if (rows == 0) return {};
  if (rows > kMaxGpuRows) {
    throw InputError(
        fmt::format("kNN graph has {} rows; the CUDA backend handles up to {}", rows, kMaxGpuRows));
  }
  ComponentsStats local_stats;
  ComponentsStats& st = stats != nullptr ? *stats : local_stats;
  st = ComponentsStats();

  resources.make_current();
  const int64_t budget = resources.planning_budget(tuning);
  st.plan = plan_edge_tiles(rows, k, !include.empty(), budget, tuning);
  const EdgeTilePlan& plan = st.plan;

  DeviceStack& stack = resources.stack();
  stack.reserve(static_cast<size_t>(plan.device_bytes));
  Scratch<int32_t> parent = stack.take<int32_t>(static_cast<size_t>(rows));
  Scratch<uint8_t> mask;
  if (!include.empty()) mask = stack.take<uint8_t>(static_cast<size_t>(rows));
  Scratch<int64_t> labels = stack.take<int64_t>(static_cast<size_t>(rows));
  Scratch<unsigned long long> counters = stack.take<unsigned long long>(2);
  Scratch<int64_t> tile_neighbors = stack.take<int64_t>(static_cast<size_t>(plan.max_capacity));
  Scratch<float> tile_similarity = stack.take<float>(static_cast<size_t>(plan.max_capacity));
  // Last on the stack, so that it can be given back and taken again larger.
  int64_t capacity = plan.initial_capacity;
  Scratch<int32_t> edges = stack.take<int32_t>(static_cast<size_t>(2 * capacity));
  GpuResources::SyncGuard guard(resources);

  const cudaStream_t stream = resources.compute_stream();
  if (!include.empty()) {
    UNFRIEND_CUDA_TRY(cudaMemcpyAsync(mask.data(), include.data(), include.size(),
                                      cudaMemcpyHostToDevice, stream));
  }
  UNFRIEND_CUDA_TRY(kernels::union_find_init(parent.data(), rows, stream));

  unsigned long long host_counters[2] = {0, 0};
  for (int64_t first = 0; first < rows && k > 0; first += plan.tile_rows) {
    const int64_t count = std::min(plan.tile_rows, rows - first);
    const size_t cells = static_cast<size_t>(count * k);
    UNFRIEND_CUDA_TRY(cudaMemcpyAsync(tile_neighbors.data(), graph.neighbors_of(first),
                                      cells * sizeof(int64_t), cudaMemcpyHostToDevice, stream));
    UNFRIEND_CUDA_TRY(cudaMemcpyAsync(tile_similarity.data(), graph.similarity_of(first),
                                      cells * sizeof(float), cudaMemcpyHostToDevice, stream));
    ++st.tiles;
    for (;;) {
      UNFRIEND_CUDA_TRY(cudaMemsetAsync(counters.data(), 0, sizeof(unsigned long long), stream));
      UNFRIEND_CUDA_TRY(
          cudaMemsetAsync(counters.data() + 1, 0xff, sizeof(unsigned long long), stream));
      kernels::ThresholdEdgesArgs args;
      args.tile.neighbors = tile_neighbors.data();
      args.tile.values = tile_similarity.data();
      args.tile.rows = count;
      args.tile.k = k;
      args.tile.row_base = first;
      args.tile.total_rows = rows;
      args.include = include.empty() ? nullptr : mask.data();
      args.min_similarity = min_similarity;
      args.edges = edges.data();
      args.capacity = capacity;
      args.edge_count = counters.data();
      args.first_invalid = counters.data() + 1;
      UNFRIEND_CUDA_TRY(kernels::threshold_edges(args, stream));
      UNFRIEND_CUDA_TRY(cudaMemcpyAsync(host_counters, counters.data(), sizeof(host_counters),
                                        cudaMemcpyDeviceToHost, stream));
      UNFRIEND_CUDA_TRY(cudaStreamSynchronize(stream));
      if (host_counters[1] != ~0ull) {
        const int64_t item = static_cast<int64_t>(host_counters[1]);
        const int64_t row = first + item / k;
        throw InputError(fmt::format("kNN graph row {} lists neighbour {} but has only {} rows",
                                     row, graph.neighbors_of(row)[item % k], rows));
      }
      const auto found = static_cast<int64_t>(host_counters[0]);
      if (found <= capacity) {
        st.edges += found;
        UNFRIEND_CUDA_TRY(kernels::union_find_hook(edges.data(), found, parent.data(), stream));
        break;
      }
      // Overflow: nothing was lost (the count is exact), the buffer was just too small. Grow it
      // to the exact need and run the tile again.
      ++st.retries;
      capacity = found;
      edges.release();
      edges = stack.take<int32_t>(static_cast<size_t>(2 * capacity));
    }
  }

  UNFRIEND_CUDA_TRY(kernels::union_find_labels(
      parent.data(), rows, include.empty() ? nullptr : mask.data(), labels.data(), stream));
  std::vector<int64_t> result(static_cast<size_t>(rows));
  UNFRIEND_CUDA_TRY(cudaMemcpyAsync(result.data(), labels.data(),
                                    static_cast<size_t>(rows) * sizeof(int64_t),
                                    cudaMemcpyDeviceToHost, stream));
  UNFRIEND_CUDA_TRY(cudaStreamSynchronize(stream));
  return result;
}

}  // namespace unfriend::gpu
