#include "host/core/union_find.h"

#include <fmt/format.h>

#include <numeric>
#include <stdexcept>

namespace unfriend {

UnionFind::UnionFind(int64_t size) {
  if (size < 0) throw std::invalid_argument(fmt::format("UnionFind: negative size {}", size));
  parent_.resize(static_cast<size_t>(size));
  std::iota(parent_.begin(), parent_.end(), int64_t{0});
}

int64_t UnionFind::find(int64_t x) {
  // Path halving: every node on the way points to its grandparent afterwards. Parents only ever
  // decrease (a root is hooked under a smaller root), so the grandparent is still in the set.
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];
    x = parent_[x];
  }
  return x;
}

bool UnionFind::unite(int64_t a, int64_t b) {
  int64_t root_a = find(a);
  int64_t root_b = find(b);
  if (root_a == root_b) return false;
  // Union by index: the larger root goes under the smaller, keeping "root = smallest member".
  if (root_a < root_b) {
    parent_[root_b] = root_a;
  } else {
    parent_[root_a] = root_b;
  }
  return true;
}

std::vector<int64_t> UnionFind::labels() {
  std::vector<int64_t> out(parent_.size());
  // Ascending order: a node's parent is smaller, so it is already final when we reach the node.
  for (size_t i = 0; i < parent_.size(); ++i) {
    int64_t p = parent_[i];
    int64_t root = (p == static_cast<int64_t>(i)) ? p : out[static_cast<size_t>(p)];
    parent_[i] = root;
    out[i] = root;
  }
  return out;
}

}  // namespace unfriend
