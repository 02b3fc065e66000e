// A block of kNN graph rows as the graph kernels read it (plain C++: cuda/ fills it).
#pragma once

#include <cstdint>

namespace unfriend::kernels {

struct GraphTile {
  /// Row r of the tile is graph row row_base + r; its k neighbours at neighbors[r * k ...]
  /// (int64, -1 = padding) with one value each at values[r * k ...] (a distance or a
  /// similarity, as the kernel says).
  const int64_t* neighbors = nullptr;
  const float* values = nullptr;
  int64_t rows = 0;
  int k = 0;
  int64_t row_base = 0;
  /// Rows of the whole graph: a neighbour index >= total_rows is invalid input.
  int64_t total_rows = 0;
};

}  // namespace unfriend::kernels
