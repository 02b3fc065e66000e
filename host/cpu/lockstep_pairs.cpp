#include "host/cpu/lockstep_pairs.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace unfriend {

std::vector<uint64_t> minhash_signatures(const ActionIndex& index,
                                         const std::vector<uint8_t>& eligible,
                                         const CandidateOptions& options) {
  const int64_t accounts = index.accounts();
  const int hashes = options.hashes;
  std::vector<uint64_t> seeds(static_cast<size_t>(hashes));
  for (int h = 0; h < hashes; ++h) seeds[h] = minhash_seed(options.seed, h);
  std::vector<uint64_t> signatures(static_cast<size_t>(accounts * hashes),
                                   std::numeric_limits<uint64_t>::max());
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t a = 0; a < accounts; ++a) {
    if (!eligible[static_cast<size_t>(a)]) continue;
    uint64_t* sig = signatures.data() + a * hashes;
    for (int64_t e = index.account_offsets[a]; e < index.account_offsets[a + 1]; ++e) {
      const int64_t t = index.account_time[e] - index.first_time;
      for (int grid = 0; grid < 2; ++grid) {
        const uint64_t token = lockstep_token(index.account_slot[e], t, grid, options.tolerance);
        for (int h = 0; h < hashes; ++h) sig[h] = std::min(sig[h], minhash_value(token, seeds[h]));
      }
    }
  }
  return signatures;
}

std::vector<AccountPair> candidate_pairs(const std::vector<uint64_t>& signatures,
                                         const std::vector<uint8_t>& eligible,
                                         const CandidateOptions& options) {
  const int hashes = options.hashes;
  std::vector<uint32_t> members;
  for (size_t a = 0; a < eligible.size(); ++a) {
    if (eligible[a]) members.push_back(static_cast<uint32_t>(a));
  }
  std::vector<std::vector<AccountPair>> per_hash(static_cast<size_t>(hashes));
#pragma omp parallel for schedule(dynamic, 1)
  for (int h = 0; h < hashes; ++h) {
    const int h1 = (h + 1) % hashes, h2 = (h + 2) % hashes;
    auto sig = [&](uint32_t a, int which) {
      return signatures[static_cast<size_t>(a) * hashes + which];
    };
    std::vector<uint32_t> order = members;
    std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
      if (sig(x, h) != sig(y, h)) return sig(x, h) < sig(y, h);
      if (sig(x, h1) != sig(y, h1)) return sig(x, h1) < sig(y, h1);
      if (sig(x, h2) != sig(y, h2)) return sig(x, h2) < sig(y, h2);
      return x < y;
    });
    std::vector<AccountPair>& out = per_hash[static_cast<size_t>(h)];
    for (size_t p = 0; p < order.size(); ++p) {
      for (size_t q = p + 1; q < order.size() && q <= p + static_cast<size_t>(options.window);
           ++q) {
        if (sig(order[q], h) != sig(order[p], h)) break;
        out.emplace_back(std::min(order[p], order[q]), std::max(order[p], order[q]));
      }
    }
  }
  std::vector<AccountPair> pairs;
  for (auto& v : per_hash) pairs.insert(pairs.end(), v.begin(), v.end());
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

PairMatch match_pair(const ActionIndex& index, uint32_t a, uint32_t b, const LockstepRule& rule) {
  const int64_t a0 = index.account_offsets[a], a1 = index.account_offsets[a + 1];
  const int64_t b0 = index.account_offsets[b], b1 = index.account_offsets[b + 1];
  return match_accounts(index.account_slot.data() + a0, index.account_time.data() + a0, a1 - a0,
                        index.distinct_slots[a], index.account_slot.data() + b0,
                        index.account_time.data() + b0, b1 - b0, index.distinct_slots[b],
                        index.slot_first_time.data(), rule);
}

std::vector<PairMatch> verify_pairs(const ActionIndex& index, const std::vector<AccountPair>& pairs,
                                    const LockstepRule& rule,
                                    const std::function<void(int64_t)>& matched) {
  std::vector<PairMatch> out(pairs.size());
  const int64_t count = static_cast<int64_t>(pairs.size());
  constexpr int64_t kChunk = int64_t{1} << 22;
  for (int64_t begin = 0; begin < count; begin += kChunk) {
    const int64_t end = std::min(count, begin + kChunk);
#pragma omp parallel for schedule(dynamic, 1024)
    for (int64_t p = begin; p < end; ++p) {
      out[static_cast<size_t>(p)] = match_pair(index, pairs[static_cast<size_t>(p)].first,
                                               pairs[static_cast<size_t>(p)].second, rule);
    }
    if (matched) matched(end - begin);
  }
  return out;
}

}  // namespace unfriend
