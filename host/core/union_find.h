// Disjoint sets over row indices 0..n-1, the reference connected-components algorithm: the
// pipeline uses it directly and the CUDA tests compare the GPU components against it.
#pragma once

#include <cstdint>
#include <vector>

namespace unfriend {

/// Union-find with path halving and union by index: the root of every set is its smallest
/// member, so find() is directly the canonical component label (no relabelling pass), the same
/// rule the GPU kernel's atomicMin hooking follows.
class UnionFind {
 public:
  explicit UnionFind(int64_t size);

  int64_t size() const { return static_cast<int64_t>(parent_.size()); }

  /// The smallest index of the set holding x. Halves the path on the way (amortised cheap).
  int64_t find(int64_t x);

  /// Joins the sets of a and b; returns true when they were different sets.
  bool unite(int64_t a, int64_t b);

  /// find() of every element: one label per element, the smallest index of its set.
  std::vector<int64_t> labels();

 private:
  std::vector<int64_t> parent_;
};

}  // namespace unfriend
