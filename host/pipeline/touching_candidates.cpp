#include "host/pipeline/touching_candidates.h"

#include <algorithm>

#include "host/core/error.h"
#include "host/core/union_find.h"

namespace unfriend {

TouchingCandidates join_touching_candidates(const KnnGraph& graph,
                                            const std::vector<int64_t>& density_label,
                                            double min_share) {
  const int64_t n = graph.rows;
  const int k = graph.k;
  if (static_cast<int64_t>(density_label.size()) != n) {
    throw InputError("touching candidates: one density label per graph row is needed");
  }
  // Members grouped by label (counting sort), so each cluster's surroundings are gathered once.
  std::vector<int64_t> start(static_cast<size_t>(n) + 1, 0);
  for (int64_t l : density_label) {
    if (l >= 0) ++start[static_cast<size_t>(l) + 1];
  }
  for (int64_t l = 0; l < n; ++l) start[l + 1] += start[l];
  std::vector<int64_t> members(static_cast<size_t>(start[n]));
  {
    std::vector<int64_t> cursor(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t l = density_label[static_cast<size_t>(i)];
      if (l >= 0) members[static_cast<size_t>(cursor[l]++)] = i;
    }
  }

  UnionFind sets(n);
  TouchingCandidates out;
  std::vector<int64_t> seen_by(static_cast<size_t>(n), -1);  // last cluster that counted the row
  std::vector<int64_t> held(static_cast<size_t>(n), 0);      // per label: surroundings it holds
  std::vector<int64_t> holders;
  for (int64_t l = 0; l < n; ++l) {
    if (start[l] == start[l + 1]) continue;
    int64_t surroundings = 0;
    holders.clear();
    for (int64_t p = start[l]; p < start[l + 1]; ++p) {
      const int64_t* nb = graph.neighbors_of(members[static_cast<size_t>(p)]);
      for (int j = 0; j < k; ++j) {
        const int64_t other = nb[j];
        if (other < 0 || other >= n) continue;
        const int64_t other_label = density_label[static_cast<size_t>(other)];
        if (other_label == l || seen_by[static_cast<size_t>(other)] == l) continue;
        seen_by[static_cast<size_t>(other)] = l;
        ++surroundings;
        if (other_label < 0) continue;
        if (held[static_cast<size_t>(other_label)]++ == 0) holders.push_back(other_label);
      }
    }
    int64_t best = -1, best_held = 0;
    for (int64_t h : holders) {
      const int64_t c = held[static_cast<size_t>(h)];
      if (c > best_held || (c == best_held && h < best)) {
        best = h;
        best_held = c;
      }
      held[static_cast<size_t>(h)] = 0;
    }
    if (best >= 0 &&
        static_cast<double>(best_held) > min_share * static_cast<double>(surroundings)) {
      if (sets.unite(l, best)) ++out.joins;
    }
  }
  out.label.assign(static_cast<size_t>(n), -1);
  out.parts.assign(static_cast<size_t>(n), 0);
  for (int64_t l = 0; l < n; ++l) {
    if (start[l] == start[l + 1]) continue;
    ++out.parts[static_cast<size_t>(sets.find(l))];
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t l = density_label[static_cast<size_t>(i)];
    if (l >= 0) out.label[static_cast<size_t>(i)] = sets.find(l);
  }
  return out;
}

}  // namespace unfriend
