// Dense row-major float32 matrices: the one in-memory layout every stage and backend shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace unfriend {

/// A non-owning view of a row-major matrix (host memory).
struct MatrixView {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;

  const float* row(int64_t i) const { return data + i * cols; }
};

/// An owning row-major matrix.
struct Matrix {
  std::vector<float> values;
  int64_t rows = 0;
  int64_t cols = 0;

  Matrix() = default;
  Matrix(int64_t r, int64_t c) : values(static_cast<size_t>(r * c)), rows(r), cols(c) {}

  float* row(int64_t i) { return values.data() + i * cols; }
  const float* row(int64_t i) const { return values.data() + i * cols; }
  MatrixView view() const { return MatrixView{values.data(), rows, cols}; }
};

}  // namespace unfriend
