// Deterministic random subsets of row indices (IVF training sets, recall samples).
#pragma once

#include <cstdint>
#include <vector>

namespace unfriend {

/// `count` distinct indices from [0, rows), ascending, drawn from `seed` alone (same seed, same
/// rows, on every platform: mt19937_64 plus our own bounded draw, not std distributions).
/// count >= rows returns every row. Memory is O(count), not O(rows).
std::vector<int64_t> sample_rows(int64_t rows, int64_t count, uint64_t seed);

}  // namespace unfriend
