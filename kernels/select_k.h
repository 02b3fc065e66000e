// Launchers of the tile select kernel: the per-row top-Q of a GEMM score tile, merged into a
// running top-Q per row. Plain C++ (no nvcc needed to include).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/kernel_types.h"

namespace unfriend::kernels {

/// Warp queue lengths there are kernels for; a request of k candidates uses the smallest one
/// that holds k.
constexpr int kMaxSelectQueue = 256;
/// The queue length for k candidates (32, 64, 128 or 256), or 0 when k > kMaxSelectQueue.
int select_queue_length(int k);

/// One tile of scores: row r, column c at tile[r * ld + c] (fp32, e.g. cuBLAS output). Column
/// c is database row col_base + c; row r is query row row_base + r.
struct SelectTileArgs {
  const float* tile = nullptr;
  int64_t ld = 0;
  int rows = 0;
  int cols = 0;
  int64_t row_base = 0;
  int64_t col_base = 0;
  /// Drop the pair whose database row equals its query row (self-match).
  bool skip_self = false;
  /// l2 scores: when set, the score of column c is 2 * tile - col_sq_norms[c], which ranks
  /// like the negated squared distance (the query's own norm is the same for the whole row).
  const float* col_sq_norms = nullptr;
  /// Running top-Q per row, [rows x Q], best first, padding (-inf, kPadIndex) last. Read
  /// first when `seeded`, then overwritten with the merged result.
  float* run_values = nullptr;
  int32_t* run_indices = nullptr;
  bool seeded = false;
};

/// Selects, for every tile row, the best `queue_length` candidates among the running list (when
/// seeded) and the tile's columns, by (score desc, index asc). queue_length must come from
/// select_queue_length. Returns the launch status (cudaErrorInvalidValue for bad arguments).
cudaError_t select_tile(const SelectTileArgs& args, int queue_length, cudaStream_t stream);

}  // namespace unfriend::kernels
