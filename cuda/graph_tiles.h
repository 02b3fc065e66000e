// The kNN graph streamed through the device in tiles of rows, and the small host<->device copy
// helpers the graph passes share (density labels, group statistics, the spanning forest).
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cuda/cuda_error.h"
#include "cuda/device_stack.h"
#include "cuda/stack_arena.h"
#include "host/core/knn_graph.h"
#include "kernels/graph_tile.h"

namespace unfriend::gpu {

inline int64_t aligned(int64_t bytes) {
  return static_cast<int64_t>(
      StackArena::aligned(static_cast<size_t>(std::max<int64_t>(bytes, 1))));
}

/// Device bytes of a tile: its neighbours and one float per edge.
inline int64_t tile_bytes(int64_t tile_rows, int k) {
  const int64_t cells = tile_rows * k;
  return aligned(cells * 8) + aligned(cells * 4);
}

template <typename T>
inline void upload(T* device, const T* host, size_t count, cudaStream_t stream) {
  if (count == 0) return;
  UNFRIEND_CUDA_TRY(
      cudaMemcpyAsync(device, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
}

template <typename T>
inline std::vector<T> download(const T* device, size_t count, cudaStream_t stream) {
  std::vector<T> host(count);
  if (count == 0) return host;
  UNFRIEND_CUDA_TRY(
      cudaMemcpyAsync(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
  UNFRIEND_CUDA_TRY(cudaStreamSynchronize(stream));
  return host;
}

/// The graph in tiles of rows: uploads a tile's neighbours and one float per edge (distances
/// or similarities), and skips the upload when the one tile is already there.
class GraphTiles {
 public:
  GraphTiles(DeviceStack& stack, const KnnGraph& graph, const std::vector<float>& values,
             int64_t tile_rows)
      : graph_(graph),
        values_(values),
        tile_rows_(tile_rows),
        neighbors_(stack.take<int64_t>(static_cast<size_t>(tile_rows * graph.k))),
        edge_values_(stack.take<float>(static_cast<size_t>(tile_rows * graph.k))) {}

  template <typename Body>
  void for_each(cudaStream_t stream, Body body) {
    for (int64_t first = 0; first < graph_.rows; first += tile_rows_) {
      const int64_t count = std::min(tile_rows_, graph_.rows - first);
      if (first != loaded_first_ || count != loaded_count_) {
        const size_t cells = static_cast<size_t>(count * graph_.k);
        upload(neighbors_.data(), graph_.neighbors_of(first), cells, stream);
        upload(edge_values_.data(), values_.data() + first * graph_.k, cells, stream);
        loaded_first_ = first;
        loaded_count_ = count;
      }
      kernels::GraphTile tile;
      tile.neighbors = neighbors_.data();
      tile.values = edge_values_.data();
      tile.rows = count;
      tile.k = graph_.k;
      tile.row_base = first;
      tile.total_rows = graph_.rows;
      body(tile);
    }
  }

 private:
  const KnnGraph& graph_;
  const std::vector<float>& values_;
  int64_t tile_rows_;
  Scratch<int64_t> neighbors_;
  Scratch<float> edge_values_;
  int64_t loaded_first_ = -1;
  int64_t loaded_count_ = -1;
};

}  // namespace unfriend::gpu
