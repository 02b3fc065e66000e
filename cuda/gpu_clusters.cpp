#include "cuda/gpu_clusters.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "cuda/cuda_error.h"
#include "cuda/device_stack.h"
#include "cuda/device_stack_allocator.h"
#include "cuda/gpu_knn.h"
#include "cuda/graph_tiles.h"
#include "host/core/error.h"
#include "kernels/density_labels.h"
#include "kernels/graph_tile.h"
#include "kernels/group_csr.h"
#include "kernels/group_edges.h"
#include "kernels/group_medians.h"
#include "kernels/temp_memory.h"
#include "kernels/union_find.h"

namespace unfriend::gpu {

namespace {

constexpr unsigned long long kNoInvalid = ~0ull;

void check_gpu_rows(int64_t rows) {
  if (rows > kMaxGpuRows) {
    throw InputError(
        fmt::format("kNN graph has {} rows; the CUDA backend handles up to {}", rows, kMaxGpuRows));
  }
}

[[noreturn]] void bad_neighbor(const KnnGraph& graph, unsigned long long cell) {
  const int64_t row = static_cast<int64_t>(cell) / graph.k;
  throw InputError(fmt::format("kNN graph row {} lists neighbour {} but has only {} rows", row,
                               graph.neighbors[static_cast<size_t>(cell)], graph.rows));
}

}  // namespace

int64_t plan_graph_tile_rows(int64_t rows, int k, int64_t fixed_bytes, int64_t budget_bytes,
                             const CudaTuning& tuning, const char* what) {
  int64_t tile_rows = std::max<int64_t>(1, rows);
  if (tuning.edge_tile_rows > 0) tile_rows = std::min(tile_rows, tuning.edge_tile_rows);
  while (tile_rows > 1 && fixed_bytes + tile_bytes(tile_rows, k) > budget_bytes) {
    tile_rows = (tile_rows + 1) / 2;
  }
  if (fixed_bytes + tile_bytes(tile_rows, k) > budget_bytes) {
    constexpr double mib = 1 << 20;
    throw RuntimeFailure(fmt::format(
        "GPU memory budget of {:.1f} MiB is too small for the {} of a kNN graph of {} rows "
        "(needs at least {:.1f} MiB)",
        static_cast<double>(budget_bytes) / mib, what, rows,
        static_cast<double>(fixed_bytes + tile_bytes(tile_rows, k)) / mib));
  }
  return tile_rows;
}

DensityLabels gpu_density_labels(GpuResources& resources, const KnnGraph& graph,
                                 const std::vector<float>& distances,
                                 const std::vector<float>& core_distance, double eps,
                                 const CudaTuning& tuning) {
  check_density_input(graph, distances, core_distance);
  const int64_t rows = graph.rows;
  DensityLabels out;
  if (rows == 0) return out;
  check_gpu_rows(rows);
  resources.make_current();
  const int64_t fixed =
      aligned(rows * 4) + aligned(rows) + aligned(rows * 4) + aligned(rows * 8) + aligned(8);
  const int64_t tile_rows = plan_graph_tile_rows(
      rows, graph.k, fixed, resources.planning_budget(tuning), tuning, "density labels");
  DeviceStack& stack = resources.stack();
  stack.reserve(static_cast<size_t>(fixed + tile_bytes(tile_rows, graph.k)));
  Scratch<float> d_core_distance = stack.take<float>(static_cast<size_t>(rows));
  Scratch<uint8_t> d_core = stack.take<uint8_t>(static_cast<size_t>(rows));
  Scratch<int32_t> parent = stack.take<int32_t>(static_cast<size_t>(rows));
  Scratch<int64_t> labels = stack.take<int64_t>(static_cast<size_t>(rows));
  Scratch<unsigned long long> first_invalid = stack.take<unsigned long long>(1);
  GraphTiles tiles(stack, graph, distances, tile_rows);
  GpuResources::SyncGuard guard(resources);
  const cudaStream_t stream = resources.compute_stream();

  upload(d_core_distance.data(), core_distance.data(), static_cast<size_t>(rows), stream);
  UNFRIEND_CUDA_TRY(kernels::mark_core(d_core_distance.data(), rows, eps, d_core.data(), stream));
  UNFRIEND_CUDA_TRY(kernels::union_find_init(parent.data(), rows, stream));
  UNFRIEND_CUDA_TRY(
      cudaMemsetAsync(first_invalid.data(), 0xff, sizeof(unsigned long long), stream));
  // Clusters: components of the core-core edges within eps.
  tiles.for_each(stream, [&](const kernels::GraphTile& tile) {
    UNFRIEND_CUDA_TRY(kernels::union_find_hook_within(tile, d_core.data(), eps, parent.data(),
                                                      first_invalid.data(), stream));
  });
  const unsigned long long invalid = download(first_invalid.data(), 1, stream)[0];
  if (invalid != kNoInvalid) bad_neighbor(graph, invalid);
  UNFRIEND_CUDA_TRY(
      kernels::union_find_labels(parent.data(), rows, d_core.data(), labels.data(), stream));
  // Border rows, once every core label is final.
  tiles.for_each(stream, [&](const kernels::GraphTile& tile) {
    UNFRIEND_CUDA_TRY(kernels::attach_border(tile, d_core.data(), eps, labels.data(), stream));
  });
  out.core = download(d_core.data(), static_cast<size_t>(rows), stream);
  out.label = download(labels.data(), static_cast<size_t>(rows), stream);
  return out;
}

GroupTable gpu_group_statistics(GpuResources& resources, const KnnGraph& graph,
                                const std::vector<int64_t>& label, const GroupStatsOptions& options,
                                const CudaTuning& tuning) {
  check_group_input(graph, label, options);
  const int64_t rows = graph.rows;
  GroupTable table;
  if (rows == 0) return table;
  check_gpu_rows(rows);
  resources.make_current();
  const bool has_core = !options.core.empty();
  const bool distances = !options.core_distance.empty();
  const bool surround = distances && options.surround;
  const size_t n = static_cast<size_t>(rows);

  // Everything per row or per group (at most one group per row), then the graph tile.
  const int64_t per_row8 = aligned(rows * 8);
  int64_t fixed = 0;
  fixed += per_row8;                                          // label
  fixed += has_core ? aligned(rows) : 0;                      // core flags
  fixed += distances ? aligned(rows * 4) : 0;                 // core distances
  fixed += 2 * per_row8 + aligned(rows * 4);                  // inside count, sum, min
  fixed += surround ? 2 * per_row8 : 0;                       // outside count, offsets
  fixed += 4 * per_row8 + aligned((rows + 1) * 8);            // CSR
  fixed += distances ? aligned(rows * 4) + 4 * per_row8 : 0;  // group index, keys, workspace
  fixed += 7 * per_row8 + aligned(rows * 4) + aligned(8);     // per-group results, invalid
  // Thrust's temporaries, from the stack above everything else: the largest is group_csr's
  // stable sort of (label, row) pairs, 16 bytes per row.
  fixed += aligned(kernels::thrust_temp_bytes(rows, 16));
  const int64_t budget = resources.planning_budget(tuning);
  const int64_t tile_rows =
      plan_graph_tile_rows(rows, graph.k, fixed, budget, tuning, "group statistics");
  DeviceStack& stack = resources.stack();
  stack.reserve(static_cast<size_t>(fixed + tile_bytes(tile_rows, graph.k)));

  Scratch<int64_t> d_label = stack.take<int64_t>(n);
  Scratch<uint8_t> d_core;
  if (has_core) d_core = stack.take<uint8_t>(n);
  Scratch<float> d_core_distance;
  if (distances) d_core_distance = stack.take<float>(n);
  Scratch<int64_t> inside_count = stack.take<int64_t>(n);
  Scratch<double> inside_sum = stack.take<double>(n);
  Scratch<float> inside_min = stack.take<float>(n);
  Scratch<int64_t> outside_count, row_offset;
  if (surround) {
    outside_count = stack.take<int64_t>(n);
    row_offset = stack.take<int64_t>(n);
  }
  Scratch<int64_t> member_rows = stack.take<int64_t>(n);
  Scratch<int64_t> member_label = stack.take<int64_t>(n);
  Scratch<int64_t> group_label = stack.take<int64_t>(n);
  Scratch<int64_t> group_size = stack.take<int64_t>(n);
  Scratch<int64_t> group_offset = stack.take<int64_t>(n + 1);
  Scratch<int32_t> group_of_label;
  Scratch<uint64_t> member_keys;
  Scratch<int64_t> segment_label, segment_count, segment_offset;
  if (distances) {
    group_of_label = stack.take<int32_t>(n);
    member_keys = stack.take<uint64_t>(n);
    segment_label = stack.take<int64_t>(n);
    segment_count = stack.take<int64_t>(n);
    segment_offset = stack.take<int64_t>(n);
  }
  Scratch<int64_t> first_row = stack.take<int64_t>(n);
  Scratch<int64_t> core_size = stack.take<int64_t>(n);
  Scratch<int64_t> edges = stack.take<int64_t>(n);
  Scratch<double> edge_sum = stack.take<double>(n);
  Scratch<float> edge_min = stack.take<float>(n);
  Scratch<double> internal_median = stack.take<double>(n);
  Scratch<double> surround_median = stack.take<double>(n);
  Scratch<int64_t> surround_rows = stack.take<int64_t>(n);
  Scratch<unsigned long long> first_invalid = stack.take<unsigned long long>(1);
  GraphTiles tiles(stack, graph, graph.similarity, tile_rows);
  DeviceBuffer<uint64_t> halo_keys;  // sized once known (data-dependent, outside the stack)
  DeviceStackAllocator temp(stack);  // Thrust's temporaries, within the reservation above
  // The halo sorts' temporaries when they outgrow that share; freed only after the guard below
  // has synchronised the streams.
  DeviceStack halo_stack;
  DeviceStackAllocator halo_stack_temp(halo_stack);
  GpuResources::SyncGuard guard(resources);
  const cudaStream_t stream = resources.compute_stream();

  upload(d_label.data(), label.data(), n, stream);
  if (has_core) upload(d_core.data(), options.core.data(), n, stream);
  if (distances) upload(d_core_distance.data(), options.core_distance.data(), n, stream);

  // Members of each group, grouped (Thrust: compaction, stable sort, run lengths, scan).
  kernels::GroupCsr csr;
  csr.member_rows = member_rows.data();
  csr.member_label = member_label.data();
  csr.group_label = group_label.data();
  csr.group_size = group_size.data();
  csr.group_offset = group_offset.data();
  int64_t members = 0, groups = 0;
  UNFRIEND_CUDA_TRY(kernels::group_csr(d_label.data(), rows, csr, &members, &groups, temp, stream));
  table.groups = groups;
  if (groups == 0) return table;

  // Per-row edges inside / outside the row's group, then per-group reductions over the CSR.
  UNFRIEND_CUDA_TRY(
      cudaMemsetAsync(first_invalid.data(), 0xff, sizeof(unsigned long long), stream));
  tiles.for_each(stream, [&](const kernels::GraphTile& tile) {
    kernels::GroupEdgeArgs args;
    args.tile = tile;
    args.label = d_label.data();
    args.inside_count = inside_count.data();
    args.inside_sum = inside_sum.data();
    args.inside_min = inside_min.data();
    args.outside_count = surround ? outside_count.data() : nullptr;
    args.first_invalid = first_invalid.data();
    UNFRIEND_CUDA_TRY(kernels::group_row_edges(args, stream));
  });
  const unsigned long long invalid = download(first_invalid.data(), 1, stream)[0];
  if (invalid != kNoInvalid) bad_neighbor(graph, invalid);
  UNFRIEND_CUDA_TRY(
      kernels::group_sum_rows(csr, members, inside_count.data(), edges.data(), temp, stream));
  UNFRIEND_CUDA_TRY(
      kernels::group_sum_rows(csr, members, inside_sum.data(), edge_sum.data(), temp, stream));
  UNFRIEND_CUDA_TRY(
      kernels::group_min_rows(csr, members, inside_min.data(), edge_min.data(), temp, stream));
  if (has_core) {
    UNFRIEND_CUDA_TRY(
        kernels::group_count_flags(csr, members, d_core.data(), core_size.data(), temp, stream));
  } else {
    UNFRIEND_CUDA_TRY(cudaMemsetAsync(core_size.data(), 0, n * sizeof(int64_t), stream));
  }
  UNFRIEND_CUDA_TRY(kernels::group_first_rows(csr, groups, first_row.data(), stream));
  UNFRIEND_CUDA_TRY(cudaMemsetAsync(surround_rows.data(), 0, n * sizeof(int64_t), stream));

  if (distances) {
    // Internal medians: member core distances sorted within their groups by one key sort.
    UNFRIEND_CUDA_TRY(
        kernels::group_index_of_labels(csr, groups, rows, group_of_label.data(), stream));
    UNFRIEND_CUDA_TRY(kernels::pack_member_values(member_label.data(), member_rows.data(), members,
                                                  d_core_distance.data(), member_keys.data(),
                                                  stream));
    int64_t kept = 0;
    UNFRIEND_CUDA_TRY(kernels::sort_keys(member_keys.data(), members, false, &kept, temp, stream));
    // The value counts here are the group sizes, not needed: they go to inside_count, free
    // since the reductions above.
    UNFRIEND_CUDA_TRY(kernels::keyed_medians(member_keys.data(), members, group_of_label.data(),
                                             internal_median.data(), inside_count.data(),
                                             segment_label.data(), segment_count.data(),
                                             segment_offset.data(), temp, stream));
  }

  if (surround) {
    // The distinct outside neighbours of each group: (label, row) keys, sorted and deduplicated,
    // then replaced by (label, core distance) and sorted again for the medians.
    int64_t halo = 0;
    UNFRIEND_CUDA_TRY(kernels::exclusive_scan_total(outside_count.data(), rows, row_offset.data(),
                                                    &halo, temp, stream));
    if (halo > 0) {
      // The halo's sorts take their temporaries from the stack's Thrust share when they fit
      // there, else from a stack of their own sized now (like halo_keys).
      const int64_t halo_temp_bytes = kernels::thrust_temp_bytes(halo, 8);
      const bool own_halo_stack = halo_temp_bytes > kernels::thrust_temp_bytes(rows, 16);
      const int64_t halo_bytes = halo * static_cast<int64_t>(sizeof(uint64_t)) +
                                 (own_halo_stack ? aligned(halo_temp_bytes) : 0);
      if (static_cast<int64_t>(stack.capacity()) + halo_bytes > budget) {
        constexpr double mib = 1 << 20;
        throw RuntimeFailure(fmt::format(
            "GPU memory budget of {:.1f} MiB is too small for the {} neighbours around the "
            "groups (needs {:.1f} MiB more)",
            static_cast<double>(budget) / mib, halo, static_cast<double>(halo_bytes) / mib));
      }
      halo_keys.reset(static_cast<size_t>(halo));
      if (own_halo_stack) halo_stack.reserve(static_cast<size_t>(aligned(halo_temp_bytes)));
      kernels::TempMemory& halo_temp = own_halo_stack
                                           ? static_cast<kernels::TempMemory&>(halo_stack_temp)
                                           : static_cast<kernels::TempMemory&>(temp);
      tiles.for_each(stream, [&](const kernels::GraphTile& tile) {
        UNFRIEND_CUDA_TRY(kernels::group_halo_keys(tile, d_label.data(), row_offset.data(),
                                                   halo_keys.data(), stream));
      });
      int64_t distinct = 0, finite = 0, sorted = 0;
      UNFRIEND_CUDA_TRY(
          kernels::sort_keys(halo_keys.data(), halo, true, &distinct, halo_temp, stream));
      UNFRIEND_CUDA_TRY(kernels::pack_row_values(halo_keys.data(), distinct, d_core_distance.data(),
                                                 &finite, halo_temp, stream));
      UNFRIEND_CUDA_TRY(
          kernels::sort_keys(halo_keys.data(), finite, false, &sorted, halo_temp, stream));
      UNFRIEND_CUDA_TRY(kernels::keyed_medians(halo_keys.data(), finite, group_of_label.data(),
                                               surround_median.data(), surround_rows.data(),
                                               segment_label.data(), segment_count.data(),
                                               segment_offset.data(), halo_temp, stream));
    }
  }

  const size_t g = static_cast<size_t>(groups);
  const std::vector<int64_t> h_label = download(group_label.data(), g, stream);
  const std::vector<int64_t> h_size = download(group_size.data(), g, stream);
  const std::vector<int64_t> h_first = download(first_row.data(), g, stream);
  const std::vector<int64_t> h_core = download(core_size.data(), g, stream);
  const std::vector<int64_t> h_edges = download(edges.data(), g, stream);
  const std::vector<double> h_sum = download(edge_sum.data(), g, stream);
  const std::vector<float> h_min = download(edge_min.data(), g, stream);
  std::vector<double> h_internal(g, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> h_surround(g, std::numeric_limits<double>::quiet_NaN());
  std::vector<int64_t> h_surround_rows(g, 0);
  if (distances) h_internal = download(internal_median.data(), g, stream);
  if (surround) {
    h_surround_rows = download(surround_rows.data(), g, stream);
    const std::vector<double> medians = download(surround_median.data(), g, stream);
    for (size_t i = 0; i < g; ++i) {
      if (h_surround_rows[i] > 0) h_surround[i] = medians[i];
    }
  }
  for (size_t i = 0; i < g; ++i) {
    if (h_size[i] < options.min_size) continue;
    GroupStats s;
    s.label = h_label[i];
    s.size = h_size[i];
    s.first_row = h_first[i];
    s.core_size = h_core[i];
    s.inside_edges = h_edges[i];
    s.inside_similarity_sum = h_sum[i];
    s.inside_similarity_min =
        h_edges[i] > 0 ? static_cast<double>(h_min[i]) : std::numeric_limits<double>::infinity();
    s.internal_median = h_internal[i];
    s.surround_median = h_surround[i];
    s.surround_rows = h_surround_rows[i];
    table.kept.push_back(s);
  }
  return table;
}

}  // namespace unfriend::gpu
