#include "host/eval/pair_counts.h"

#include <stdexcept>
#include <unordered_map>

namespace unfriend {

namespace {

uint64_t choose2(uint64_t n) { return n < 2 ? 0 : n * (n - 1) / 2; }

struct LabelPairHash {
  size_t operator()(const std::pair<int64_t, int64_t>& p) const {
    uint64_t x = static_cast<uint64_t>(p.first) * 0x9e3779b97f4a7c15ULL ^
                 (static_cast<uint64_t>(p.second) + 0x632be59bd9b4e019ULL);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 29;
    return static_cast<size_t>(x);
  }
};

uint64_t pairs_within(const std::vector<int64_t>& labels) {
  std::unordered_map<int64_t, uint64_t> sizes;
  for (int64_t label : labels) {
    if (label >= 0) ++sizes[label];
  }
  uint64_t pairs = 0;
  for (const auto& [label, size] : sizes) pairs += choose2(size);
  return pairs;
}

}  // namespace

PairCounts pair_counts(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.size() != b.size()) {
    throw std::invalid_argument("pair_counts: partitions of different lengths");
  }
  PairCounts counts;
  counts.elements = static_cast<int64_t>(a.size());
  counts.total_pairs = choose2(a.size());
  counts.pairs_a = pairs_within(a);
  counts.pairs_b = pairs_within(b);
  // Contingency cells: only accounts grouped on both sides can share a cell with another one.
  std::unordered_map<std::pair<int64_t, int64_t>, uint64_t, LabelPairHash> cells;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] >= 0 && b[i] >= 0) ++cells[{a[i], b[i]}];
  }
  for (const auto& [key, size] : cells) counts.pairs_both += choose2(size);
  return counts;
}

double adjusted_rand_index(const PairCounts& c) {
  // long double: the product of two pair counts exceeds 2^64 for a few million accounts.
  const long double total = static_cast<long double>(c.total_pairs);
  const long double sum_a = static_cast<long double>(c.pairs_a);
  const long double sum_b = static_cast<long double>(c.pairs_b);
  const long double index = static_cast<long double>(c.pairs_both);
  const long double expected = total > 0 ? sum_a * sum_b / total : 0;
  const long double maximum = (sum_a + sum_b) / 2;
  const long double denominator = maximum - expected;
  if (denominator == 0) return 1.0;
  return static_cast<double>((index - expected) / denominator);
}

double adjusted_rand_index(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  return adjusted_rand_index(pair_counts(a, b));
}

}  // namespace unfriend
