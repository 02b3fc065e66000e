// GPU union-find after ECL-CC (Jaiganesh & Burtscher, HPDC'18): hooking with atomicCAS from
// the larger root to the smaller, finds with intermediate pointer jumping, a final flatten.
#include <thrust/execution_policy.h>
#include <thrust/sequence.h>

#include "kernels/kernel_common.cuh"
#include "kernels/thrust_status.cuh"
#include "kernels/union_find.h"

namespace unfriend::kernels {

namespace {

struct UnionFindPolicy {
  static constexpr int kThreads = 256;
};

/// The root of v, shortening the path as it walks: every visited node is pointed at its
/// grandparent. Concurrent finds and hooks only ever lower a parent pointer towards an
/// ancestor, so these racy stores never break a tree; volatile keeps every load a real load.
__device__ int32_t find_root(volatile int32_t* parent, int32_t v) {
  int32_t current = parent[v];
  if (current != v) {
    int32_t previous = v;
    int32_t next;
    while (current > (next = parent[current])) {
      parent[previous] = next;
      previous = current;
      current = next;
    }
  }
  return current;
}

/// Links the roots of u and v, the larger under the smaller.
__device__ void unite(volatile int32_t* vparent, int32_t* parent, int32_t u, int32_t v) {
  u = find_root(vparent, u);
  v = find_root(vparent, v);
  // A failed CAS means the larger one stopped being a root meanwhile: climb to what it points
  // at now and try again.
  while (u != v) {
    if (u > v) {
      const int32_t t = u;
      u = v;
      v = t;
    }
    const int32_t seen = atomicCAS(parent + v, v, u);
    if (seen == v) break;
    v = seen;
  }
}

__global__ void __launch_bounds__(UnionFindPolicy::kThreads)
    hook_kernel(const int32_t* edges, int64_t edge_count, int32_t* parent) {
  volatile int32_t* vparent = parent;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < edge_count;
       e += stride) {
    unite(vparent, parent, edges[2 * e], edges[2 * e + 1]);
  }
}

__global__ void __launch_bounds__(UnionFindPolicy::kThreads)
    hook_within_kernel(GraphTile tile, const uint8_t* core, double max_distance, int32_t* parent,
                       unsigned long long* first_invalid) {
  volatile int32_t* vparent = parent;
  const int64_t total = tile.rows * tile.k;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t item = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; item < total;
       item += stride) {
    const int64_t j = tile.neighbors[item];
    if (j < 0) continue;
    if (j >= tile.total_rows) {
      atomicMin(first_invalid, static_cast<unsigned long long>(tile.row_base * tile.k + item));
      continue;
    }
    const int64_t i = tile.row_base + item / tile.k;
    if (core[i] == 0 || core[j] == 0) continue;
    if (!(static_cast<double>(tile.values[item]) <= max_distance)) continue;
    unite(vparent, parent, static_cast<int32_t>(i), static_cast<int32_t>(j));
  }
}

__global__ void __launch_bounds__(UnionFindPolicy::kThreads)
    labels_kernel(int32_t* parent, int64_t rows, const uint8_t* include, int64_t* labels) {
  volatile int32_t* vparent = parent;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < rows;
       i += stride) {
    const int32_t root = find_root(vparent, static_cast<int32_t>(i));
    vparent[i] = root;
    labels[i] = (include != nullptr && include[i] == 0) ? int64_t{-1} : static_cast<int64_t>(root);
  }
}

}  // namespace

cudaError_t union_find_init(int32_t* parent, int64_t rows, cudaStream_t stream) {
  if (rows < 0 || (rows > 0 && parent == nullptr)) return cudaErrorInvalidValue;
  if (rows == 0) return cudaSuccess;
  // par_nosync: no host synchronisation after the launch; ordering comes from the stream.
  return thrust_status([&] {
    thrust::sequence(thrust::cuda::par_nosync.on(stream), parent, parent + rows, int32_t{0});
  });
}

cudaError_t union_find_hook(const int32_t* edges, int64_t edge_count, int32_t* parent,
                            cudaStream_t stream) {
  if (edge_count < 0 || (edge_count > 0 && (edges == nullptr || parent == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (edge_count == 0) return cudaSuccess;
  hook_kernel<<<grid_stride_blocks(edge_count, UnionFindPolicy::kThreads),
                UnionFindPolicy::kThreads, 0, stream>>>(edges, edge_count, parent);
  return cudaGetLastError();
}

cudaError_t union_find_hook_within(const GraphTile& tile, const uint8_t* core, double max_distance,
                                   int32_t* parent, unsigned long long* first_invalid,
                                   cudaStream_t stream) {
  if (tile.rows < 0 || tile.k < 0 || tile.row_base < 0 ||
      tile.row_base + tile.rows > tile.total_rows || first_invalid == nullptr) {
    return cudaErrorInvalidValue;
  }
  const int64_t total = tile.rows * tile.k;
  if (total == 0) return cudaSuccess;
  if (tile.neighbors == nullptr || tile.values == nullptr || core == nullptr || parent == nullptr) {
    return cudaErrorInvalidValue;
  }
  hook_within_kernel<<<grid_stride_blocks(total, UnionFindPolicy::kThreads),
                       UnionFindPolicy::kThreads, 0, stream>>>(tile, core, max_distance, parent,
                                                               first_invalid);
  return cudaGetLastError();
}

cudaError_t union_find_labels(int32_t* parent, int64_t rows, const uint8_t* include,
                              int64_t* labels, cudaStream_t stream) {
  if (rows < 0 || (rows > 0 && (parent == nullptr || labels == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (rows == 0) return cudaSuccess;
  labels_kernel<<<grid_stride_blocks(rows, UnionFindPolicy::kThreads), UnionFindPolicy::kThreads, 0,
                  stream>>>(parent, rows, include, labels);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
