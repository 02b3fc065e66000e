// The k-nearest-neighbour similarity graph, the product of the expensive stage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unfriend {

/// How two accounts are compared. Similarity is always "larger is closer":
/// cosine and inner_product store the dot product, l2 stores the negated squared distance.
enum class Metric { cosine, inner_product, l2 };

std::string to_string(Metric metric);
Metric metric_from_string(const std::string& name);  // throws InputError on an unknown name

/// For every row its k most similar other rows. Row-major [rows x k]; within a row sorted by
/// similarity descending, ties by neighbour index ascending. A row with fewer than k neighbours
/// (k >= rows) is padded with index -1 and similarity -inf. Indices are row positions in the
/// assessed matrix, never account ids.
struct KnnGraph {
  int64_t rows = 0;
  int k = 0;
  std::vector<int64_t> neighbors;
  std::vector<float> similarity;

  const int64_t* neighbors_of(int64_t i) const { return neighbors.data() + i * k; }
  const float* similarity_of(int64_t i) const { return similarity.data() + i * k; }
};

/// Sorts each row by (similarity desc, index asc) and moves padding to the end: the canonical
/// order every backend returns, so that outputs are identical across backends and block sizes.
void canonicalize_rows(KnnGraph& graph);

/// The shape checks every Backend::threshold_components runs first: rows x k entries in both
/// arrays, and an include mask that is empty or has one entry per row. Throws InputError.
void check_components_input(const KnnGraph& graph, const std::vector<uint8_t>& include);

/// InputError "kNN graph row R lists neighbour J but has only N rows" for the first neighbour
/// index past the end, in row order (padding -1 is fine).
void check_neighbor_indices(const KnnGraph& graph);

}  // namespace unfriend
