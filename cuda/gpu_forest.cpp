#include "cuda/gpu_forest.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "cuda/gpu_clusters.h"
#include "cuda/gpu_knn.h"
#include "cuda/graph_tiles.h"
#include "host/core/error.h"
#include "host/core/mutual_reachability.h"
#include "kernels/spanning_forest.h"
#include "kernels/union_find.h"

namespace unfriend::gpu {

SpanningForest gpu_spanning_forest(GpuResources& resources, const KnnGraph& graph,
                                   const std::vector<float>& distances,
                                   const std::vector<float>& core_distance,
                                   const CudaTuning& tuning) {
  check_density_input(graph, distances, core_distance);
  const int64_t rows = graph.rows;
  // Neighbour indices are checked here, in row order, with the CPU's message: the kernels
  // then trust them.
  check_neighbor_indices(graph);
  SpanningForest forest;
  if (rows < 2) return forest;
  if (rows > kMaxGpuRows) {
    throw InputError(
        fmt::format("kNN graph has {} rows; the CUDA backend handles up to {}", rows, kMaxGpuRows));
  }
  resources.make_current();
  const size_t n = static_cast<size_t>(rows);
  // core, component, two key slots, parent, out (lo, hi, weight), hook pairs, counter.
  const int64_t fixed = aligned(rows * 4) + aligned(rows * 8) + 2 * aligned(rows * 8) +
                        aligned(rows * 4) + 2 * aligned(rows * 8) + aligned(rows * 4) +
                        aligned(rows * 8) + aligned(8);
  const int64_t tile_rows = plan_graph_tile_rows(
      rows, graph.k, fixed, resources.planning_budget(tuning), tuning, "spanning forest");
  DeviceStack& stack = resources.stack();
  stack.reserve(static_cast<size_t>(fixed + tile_bytes(tile_rows, graph.k)));
  Scratch<float> d_core = stack.take<float>(n);
  Scratch<int64_t> component = stack.take<int64_t>(n);
  Scratch<unsigned long long> best_weight_lo = stack.take<unsigned long long>(n);
  Scratch<unsigned long long> best_hi = stack.take<unsigned long long>(n);
  Scratch<int32_t> parent = stack.take<int32_t>(n);
  Scratch<int64_t> out_lo = stack.take<int64_t>(n);
  Scratch<int64_t> out_hi = stack.take<int64_t>(n);
  Scratch<float> out_weight = stack.take<float>(n);
  Scratch<int32_t> hook = stack.take<int32_t>(2 * n);
  Scratch<unsigned long long> count = stack.take<unsigned long long>(1);
  GraphTiles tiles(stack, graph, distances, tile_rows);
  GpuResources::SyncGuard guard(resources);
  const cudaStream_t stream = resources.compute_stream();

  upload(d_core.data(), core_distance.data(), n, stream);
  UNFRIEND_CUDA_TRY(kernels::union_find_init(parent.data(), rows, stream));
  UNFRIEND_CUDA_TRY(
      kernels::union_find_labels(parent.data(), rows, nullptr, component.data(), stream));
  UNFRIEND_CUDA_TRY(cudaMemsetAsync(count.data(), 0, sizeof(unsigned long long), stream));
  unsigned long long taken = 0;
  for (;;) {
    UNFRIEND_CUDA_TRY(cudaMemsetAsync(best_weight_lo.data(), 0xff, n * 8, stream));
    UNFRIEND_CUDA_TRY(cudaMemsetAsync(best_hi.data(), 0xff, n * 8, stream));
    tiles.for_each(stream, [&](const kernels::GraphTile& tile) {
      UNFRIEND_CUDA_TRY(kernels::forest_offer_weight(tile, d_core.data(), component.data(),
                                                     best_weight_lo.data(), stream));
    });
    tiles.for_each(stream, [&](const kernels::GraphTile& tile) {
      UNFRIEND_CUDA_TRY(kernels::forest_offer_hi(tile, d_core.data(), component.data(),
                                                 best_weight_lo.data(), best_hi.data(), stream));
    });
    UNFRIEND_CUDA_TRY(kernels::forest_pick(component.data(), rows, best_weight_lo.data(),
                                           best_hi.data(), out_lo.data(), out_hi.data(),
                                           out_weight.data(), hook.data(), count.data(), stream));
    const unsigned long long now = download(count.data(), 1, stream)[0];
    if (now == taken) break;
    // Join this round's edges (they sit after the earlier rounds' in the hook list).
    UNFRIEND_CUDA_TRY(kernels::union_find_hook(
        hook.data() + 2 * taken, static_cast<int64_t>(now - taken), parent.data(), stream));
    UNFRIEND_CUDA_TRY(
        kernels::union_find_labels(parent.data(), rows, nullptr, component.data(), stream));
    taken = now;
  }
  const size_t edges = static_cast<size_t>(taken);
  const std::vector<int64_t> lo = download(out_lo.data(), edges, stream);
  const std::vector<int64_t> hi = download(out_hi.data(), edges, stream);
  const std::vector<float> weight = download(out_weight.data(), edges, stream);
  // Rounds append in their own order: the forest order is restored on the host (N - 1 edges).
  std::vector<size_t> order(edges);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return forest_edge_before(weight[a], lo[a], hi[a], weight[b], lo[b], hi[b]);
  });
  forest.from.reserve(edges);
  forest.to.reserve(edges);
  forest.weight.reserve(edges);
  for (size_t e : order) {
    forest.from.push_back(lo[e]);
    forest.to.push_back(hi[e]);
    forest.weight.push_back(weight[e]);
  }
  return forest;
}

}  // namespace unfriend::gpu
