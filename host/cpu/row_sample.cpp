#include "host/cpu/row_sample.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <unordered_set>

namespace unfriend {

namespace {
// Uniform in [0, bound] by rejection: std::uniform_int_distribution differs between standard
// libraries, and a sample that changes with the toolchain would change IVF results.
uint64_t draw_at_most(std::mt19937_64& rng, uint64_t bound) {
  if (bound == UINT64_MAX) return rng();
  const uint64_t range = bound + 1;
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t value;
  do {
    value = rng();
  } while (value >= limit);
  return value % range;
}
}  // namespace

std::vector<int64_t> sample_rows(int64_t rows, int64_t count, uint64_t seed) {
  std::vector<int64_t> out;
  if (rows <= 0 || count <= 0) return out;
  if (count >= rows) {
    out.resize(static_cast<size_t>(rows));
    std::iota(out.begin(), out.end(), int64_t{0});
    return out;
  }
  // Floyd's algorithm: exactly `count` draws, no O(rows) permutation array.
  std::mt19937_64 rng(seed);
  std::unordered_set<int64_t> chosen;
  chosen.reserve(static_cast<size_t>(count) * 2);
  out.reserve(static_cast<size_t>(count));
  for (int64_t j = rows - count; j < rows; ++j) {
    int64_t t = static_cast<int64_t>(draw_at_most(rng, static_cast<uint64_t>(j)));
    int64_t pick = chosen.insert(t).second ? t : j;
    if (pick == j) chosen.insert(j);
    out.push_back(pick);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace unfriend
