// Pair counting between two partitions of the same accounts: the adjusted Rand index and the
// pair precision/recall of groupings, from contingency tables in O(N) (never by enumerating
// pairs, which is quadratic in the size of a big farm).
#pragma once

#include <cstdint>
#include <vector>

namespace unfriend {

/// Labels are group ids; a negative label means "in no group" (a singleton of its own).
/// Counts are exact 64-bit integers (C(n, 2) fits for n < 6e9).
struct PairCounts {
  int64_t elements = 0;
  uint64_t total_pairs = 0;  // C(elements, 2)
  uint64_t pairs_a = 0;      // pairs in one group of a
  uint64_t pairs_b = 0;      // pairs in one group of b
  uint64_t pairs_both = 0;   // pairs in one group of a and in one group of b
};

/// Throws std::invalid_argument when the label vectors differ in length.
PairCounts pair_counts(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

/// Hubert and Arabie's adjusted Rand index. Defined as 1 when both partitions have no pairs or
/// are otherwise identical trivial partitions (expected index equals its maximum), as
/// scikit-learn does.
double adjusted_rand_index(const PairCounts& counts);
double adjusted_rand_index(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

}  // namespace unfriend
