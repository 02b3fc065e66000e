#include "host/pipeline/cluster_selection.h"

#include <algorithm>
#include <numeric>

namespace unfriend {

ClusterSelection select_clusters(const CondensedTree& tree, MatrixView features,
                                 const AlikenessModel& null_model, const CoordinationTest& test) {
  const int64_t n = tree.rows, cols = features.cols;
  const int64_t clusters = tree.clusters();
  ClusterSelection out;
  out.label.assign(static_cast<size_t>(n), -1);
  out.evidence.resize(static_cast<size_t>(clusters));
  if (clusters == 0) return out;

  // The accounts that leave each cluster directly, by increasing level (ties by row).
  std::vector<int64_t> start(static_cast<size_t>(clusters) + 1, 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = tree.point_cluster[static_cast<size_t>(i)];
    if (c >= 0) ++start[static_cast<size_t>(c) + 1];
  }
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<int64_t> direct(static_cast<size_t>(start.back()));
  {
    std::vector<int64_t> cursor(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = tree.point_cluster[static_cast<size_t>(i)];
      if (c >= 0) direct[static_cast<size_t>(cursor[static_cast<size_t>(c)]++)] = i;
    }
  }
  const auto& level = tree.point_level;
  for (int64_t c = 0; c < clusters; ++c) {
    std::stable_sort(direct.begin() + start[c], direct.begin() + start[c + 1],
                     [&](int64_t a, int64_t b) { return level[a] < level[b]; });
  }

  // Bottom-up (children have larger ids): moments of the whole cluster, the largest remaining
  // set that passes, and excess of mass against the children's.
  std::vector<FeatureMoments> moments(static_cast<size_t>(clusters));
  std::vector<int64_t> cut(static_cast<size_t>(clusters), -1);  // direct points dropped
  std::vector<double> value(static_cast<size_t>(clusters), 0.0);
  std::vector<int32_t> alike;
  for (int64_t c = clusters - 1; c >= 0; --c) {
    TreeClusterEvidence& ev = out.evidence[static_cast<size_t>(c)];
    FeatureMoments m(cols);
    int64_t child_rows = 0;
    double child_value = 0;
    for (int64_t child : tree.children[static_cast<size_t>(c)]) {
      m.add(moments[static_cast<size_t>(child)]);
      child_rows += moments[static_cast<size_t>(child)].count;
      child_value += value[static_cast<size_t>(child)];
      moments[static_cast<size_t>(child)] = FeatureMoments();  // no longer needed
    }
    const int64_t first = start[c], last = start[c + 1];
    for (int64_t p = first; p < last; ++p) m.add(features.row(direct[static_cast<size_t>(p)]));
    moments[static_cast<size_t>(c)] = m;
    ev.size_at_birth = m.count;
    ev.breadth_at_birth = null_model.breadth(m);

    // The remaining set after dropping direct points [first, first + dropped): tested at the
    // birth and after each level at which some leave, until it is too small.
    const double birth = tree.birth_level[static_cast<size_t>(c)];
    const double death = tree.death_level[static_cast<size_t>(c)];
    FeatureMoments remaining = m;
    int64_t dropped = 0;
    const int64_t direct_count = last - first;
    for (;;) {
      if (remaining.count < test.min_size) break;
      const double breadth = dropped == 0 ? ev.breadth_at_birth : null_model.breadth(remaining);
      if (breadth >= test.min_breadth) {
        const double from =
            dropped == 0 ? birth : level[direct[static_cast<size_t>(first + dropped - 1)]];
        double stability = static_cast<double>(child_rows) * (death - from);
        for (int64_t p = first + dropped; p < last; ++p) {
          stability += level[direct[static_cast<size_t>(p)]] - from;
        }
        ev.passes = true;
        ev.passing_size = remaining.count;
        ev.passing_breadth = breadth;
        ev.passing_level = from;
        ev.stability = stability;
        cut[static_cast<size_t>(c)] = dropped;
        break;
      }
      if (dropped == direct_count) break;
      // Drop every direct point at the next level.
      const double next = level[direct[static_cast<size_t>(first + dropped)]];
      while (dropped < direct_count &&
             level[direct[static_cast<size_t>(first + dropped)]] == next) {
        remaining.remove(features.row(direct[static_cast<size_t>(first + dropped)]));
        ++dropped;
      }
    }
    if (ev.passes && ev.stability >= child_value) {
      ev.selected = true;
      value[static_cast<size_t>(c)] = ev.stability;
    } else {
      value[static_cast<size_t>(c)] = child_value;
    }
  }

  // Top-down: a selected cluster claims its subtree; selections below it are dropped.
  std::vector<int64_t> claimed_by(static_cast<size_t>(clusters), -1);
  for (int64_t c = 0; c < clusters; ++c) {
    const int64_t parent = tree.parent[static_cast<size_t>(c)];
    const int64_t above = parent >= 0 ? claimed_by[static_cast<size_t>(parent)] : -1;
    TreeClusterEvidence& ev = out.evidence[static_cast<size_t>(c)];
    if (above >= 0) {
      ev.selected = false;
      claimed_by[static_cast<size_t>(c)] = above;
      continue;
    }
    if (!ev.selected) continue;
    claimed_by[static_cast<size_t>(c)] = static_cast<int64_t>(out.clusters.size());
    SelectedCluster s;
    s.tree_cluster = c;
    s.size = ev.passing_size;
    s.breadth = ev.passing_breadth;
    s.level = ev.passing_level;
    s.birth_level = tree.birth_level[static_cast<size_t>(c)];
    s.death_level = tree.death_level[static_cast<size_t>(c)];
    s.stability = ev.stability;
    out.clusters.push_back(s);
  }
  // Labels: every row in a claimed subtree, except the direct points a selected cluster
  // dropped before its passing set.
  for (int64_t c = 0; c < clusters; ++c) {
    const int64_t owner = claimed_by[static_cast<size_t>(c)];
    if (owner < 0) continue;
    const bool is_owner = out.clusters[static_cast<size_t>(owner)].tree_cluster == c;
    const int64_t skip = is_owner ? cut[static_cast<size_t>(c)] : 0;
    for (int64_t p = start[c] + skip; p < start[c + 1]; ++p) {
      out.label[static_cast<size_t>(direct[static_cast<size_t>(p)])] = owner;
    }
  }
  // The alike features of each selected set, for the evidence.
  std::vector<FeatureMoments> selected(out.clusters.size(), FeatureMoments(cols));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t owner = out.label[static_cast<size_t>(i)];
    if (owner >= 0) selected[static_cast<size_t>(owner)].add(features.row(i));
  }
  for (size_t s = 0; s < out.clusters.size(); ++s) {
    out.clusters[s].breadth = null_model.breadth(selected[s], &out.clusters[s].alike_features);
  }
  return out;
}

}  // namespace unfriend
