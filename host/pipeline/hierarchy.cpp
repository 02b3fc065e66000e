#include "host/pipeline/hierarchy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "host/core/error.h"
#include "host/core/union_find.h"

namespace unfriend {

double density_level(double distance, double floor_distance) {
  return -std::log(std::max(distance, floor_distance));
}

namespace {

// The single-linkage tree: leaves 0..rows-1, merge nodes rows.. in order of increasing weight.
struct LinkageTree {
  std::vector<int64_t> left, right, size;
  std::vector<double> distance;
  std::vector<uint8_t> has_parent;  // per node (leaves and merges)
};

LinkageTree linkage_tree(const SpanningForest& forest, int64_t rows) {
  LinkageTree t;
  const size_t merges = forest.size();
  t.left.reserve(merges);
  t.right.reserve(merges);
  t.size.reserve(merges);
  t.distance.reserve(merges);
  t.has_parent.assign(static_cast<size_t>(rows) + merges, 0);
  UnionFind sets(rows);
  // The tree node that currently stands for each set, indexed by the set's root.
  std::vector<int64_t> node_of(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) node_of[static_cast<size_t>(i)] = i;
  auto node_size = [&](int64_t node) { return node < rows ? 1 : t.size[node - rows]; };
  for (size_t e = 0; e < merges; ++e) {
    const int64_t a = sets.find(forest.from[e]), b = sets.find(forest.to[e]);
    if (a == b) {
      throw InputError(fmt::format("spanning forest edge {} ({}, {}) closes a cycle", e,
                                   forest.from[e], forest.to[e]));
    }
    const int64_t na = node_of[static_cast<size_t>(a)], nb = node_of[static_cast<size_t>(b)];
    const int64_t merged = rows + static_cast<int64_t>(t.left.size());
    t.left.push_back(na);
    t.right.push_back(nb);
    t.size.push_back(node_size(na) + node_size(nb));
    t.distance.push_back(forest.weight[e]);
    t.has_parent[static_cast<size_t>(na)] = 1;
    t.has_parent[static_cast<size_t>(nb)] = 1;
    sets.unite(a, b);
    node_of[static_cast<size_t>(sets.find(a))] = merged;
  }
  return t;
}

}  // namespace

CondensedTree condense_forest(const SpanningForest& forest, int64_t rows, int64_t min_cluster_size,
                              double floor_distance) {
  if (min_cluster_size < 2) {
    throw InputError(fmt::format("min_cluster_size must be at least 2, got {}", min_cluster_size));
  }
  for (size_t e = 0; e < forest.size(); ++e) {
    if (forest.from[e] < 0 || forest.from[e] >= rows || forest.to[e] < 0 || forest.to[e] >= rows) {
      throw InputError(fmt::format("spanning forest edge {} ({}, {}) is outside {} rows", e,
                                   forest.from[e], forest.to[e], rows));
    }
    if (e > 0 && forest.weight[e] < forest.weight[e - 1]) {
      throw InputError(fmt::format("spanning forest edges are not sorted by weight at edge {}", e));
    }
  }
  const LinkageTree t = linkage_tree(forest, rows);
  CondensedTree tree;
  tree.rows = rows;
  tree.min_cluster_size = min_cluster_size;
  tree.point_cluster.assign(static_cast<size_t>(rows), -1);
  tree.point_level.assign(static_cast<size_t>(rows), 0.0);
  auto node_size = [&](int64_t node) { return node < rows ? 1 : t.size[node - rows]; };
  auto level_of = [&](int64_t node) {
    return density_level(t.distance[node - rows], floor_distance);
  };

  auto new_cluster = [&](int64_t parent, double birth, int64_t size) {
    const int64_t id = tree.clusters();
    tree.parent.push_back(parent);
    tree.birth_level.push_back(birth);
    tree.death_level.push_back(birth);
    tree.size.push_back(size);
    tree.children.emplace_back();
    if (parent >= 0) tree.children[static_cast<size_t>(parent)].push_back(id);
    return id;
  };
  // Every leaf under `node` leaves `cluster` at `level`.
  std::vector<int64_t> leaves_stack;
  auto fall_out = [&](int64_t node, int64_t cluster, double level) {
    leaves_stack.assign(1, node);
    while (!leaves_stack.empty()) {
      const int64_t x = leaves_stack.back();
      leaves_stack.pop_back();
      if (x < rows) {
        tree.point_cluster[static_cast<size_t>(x)] = cluster;
        tree.point_level[static_cast<size_t>(x)] = level;
      } else {
        leaves_stack.push_back(t.left[x - rows]);
        leaves_stack.push_back(t.right[x - rows]);
      }
    }
  };

  // Top-down from each forest component big enough to be a cluster; the component is born at
  // the level where it becomes connected.
  struct Work {
    int64_t node, cluster;
  };
  std::vector<Work> stack;
  const int64_t nodes = rows + static_cast<int64_t>(t.left.size());
  for (int64_t root = nodes - 1; root >= 0; --root) {
    if (t.has_parent[static_cast<size_t>(root)] || node_size(root) < min_cluster_size) continue;
    const int64_t top = new_cluster(-1, level_of(root), node_size(root));
    stack.push_back(Work{root, top});
    while (!stack.empty()) {
      const Work w = stack.back();
      stack.pop_back();
      const int64_t l = t.left[w.node - rows], r = t.right[w.node - rows];
      const double level = level_of(w.node);
      const bool big_l = node_size(l) >= min_cluster_size, big_r = node_size(r) >= min_cluster_size;
      if (big_l && big_r) {
        tree.death_level[static_cast<size_t>(w.cluster)] = level;
        const int64_t cl = new_cluster(w.cluster, level, node_size(l));
        const int64_t cr = new_cluster(w.cluster, level, node_size(r));
        stack.push_back(Work{r, cr});
        stack.push_back(Work{l, cl});
      } else if (big_l || big_r) {
        fall_out(big_l ? r : l, w.cluster, level);
        stack.push_back(Work{big_l ? l : r, w.cluster});
      } else {
        fall_out(l, w.cluster, level);
        fall_out(r, w.cluster, level);
        tree.death_level[static_cast<size_t>(w.cluster)] = level;
      }
    }
  }
  return tree;
}

}  // namespace unfriend
