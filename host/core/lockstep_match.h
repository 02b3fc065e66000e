// The lockstep rule that both backends follow: how two accounts' actions are compared, and when
// their timing is synchronised beyond what their own co-activity explains.
//
// Two accounts share a slot (same target, same kind) when both acted on it; their lag there is
// the smallest time difference between their actions on it. Accounts that merely react to the
// same posts (a viral post, the posts of a page they follow) have lags spread over the time
// scale of organic reactions; a campaign acts within a short window, over and over. So for each
// tolerance T the pair's shared slots with lag <= W = background_ratio x T are its "nearby"
// slots, and under the null that a nearby lag is equally likely anywhere in [-W, W] each lands
// within T with probability T / W. The pair is synchronised at T when the binomial tail of its
// matched slots (lag <= T) among its nearby ones is small; every tolerance is tried and the most
// significant one is kept. Thresholds on that tail come from the number of pairs tested
// (host/pipeline/lockstep.cpp), not from one data set.
#pragma once

#include <cmath>
#include <cstdint>

#include "host/core/host_device.h"

namespace unfriend {

constexpr int kMaxToleranceScales = 8;

struct LockstepRule {
  int64_t min_tolerance = 60;  // seconds: the first tolerance; each next one is 4x the previous
  int scales = 3;
  int64_t background_ratio = 8;
  UNFRIEND_HOST_DEVICE int64_t tolerance(int scale) const { return min_tolerance << (2 * scale); }
};

struct PairMatch {
  int32_t shared = 0;        // slots both acted on
  int32_t matched = 0;       // at the chosen tolerance: shared slots with lag <= T
  int32_t nearby = 0;        // ... with lag <= background_ratio x T
  int32_t scale = 0;         // the chosen tolerance (index into the rule's scales)
  double log10_p = 0;        // binomial tail of matched among nearby, at the chosen tolerance
  double similarity = 0;     // Jaccard over slots at the chosen tolerance
};

/// log10 P(X >= k) for X ~ Binomial(n, p), summed from k upward until the terms vanish.
UNFRIEND_HOST_DEVICE inline double binomial_tail_log10(int32_t n, int32_t k, double p) {
  if (k <= 0) return 0;
  if (k > n) return -HUGE_VAL;
  const double lp = log(p), lq = log1p(-p);
  double term = lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + k * lp + (n - k) * lq;
  double sum = 1.0;  // in units of the first term
  double ratio_term = 0;
  for (int32_t x = k; x < n; ++x) {
    ratio_term += log(static_cast<double>(n - x) / (x + 1)) + lp - lq;
    const double t = exp(ratio_term);
    sum += t;
    if (t < 1e-16 * sum) break;
  }
  return (term + log(sum)) / 2.302585092994046;  // ln 10
}

/// `slot_*`/`time_*`: an account's actions sorted by (slot, time), as in ActionIndex;
/// `distinct_*`: its number of distinct slots.
UNFRIEND_HOST_DEVICE inline PairMatch match_accounts(const uint32_t* slot_a, const int64_t* time_a, int64_t len_a,
                                int32_t distinct_a, const uint32_t* slot_b, const int64_t* time_b,
                                int64_t len_b, int32_t distinct_b, const LockstepRule& rule) {
  int32_t matched[kMaxToleranceScales] = {}, nearby[kMaxToleranceScales] = {};
  PairMatch m;
  const int scales = rule.scales < kMaxToleranceScales ? rule.scales : kMaxToleranceScales;
  int64_t i = 0, j = 0;
  while (i < len_a && j < len_b) {
    if (slot_a[i] < slot_b[j]) {
      ++i;
    } else if (slot_b[j] < slot_a[i]) {
      ++j;
    } else {
      const uint32_t s = slot_a[i];
      int64_t i_end = i, j_end = j;
      while (i_end < len_a && slot_a[i_end] == s) ++i_end;
      while (j_end < len_b && slot_b[j_end] == s) ++j_end;
      // Both runs are sorted by time: the smallest difference is between neighbours of a merge.
      int64_t lag = INT64_MAX;
      for (int64_t p = i, q = j; p < i_end && q < j_end;) {
        const int64_t d = time_a[p] - time_b[q];
        const int64_t gap = d < 0 ? -d : d;
        if (gap < lag) lag = gap;
        if (d < 0) ++p; else ++q;
      }
      ++m.shared;
      for (int c = 0; c < scales; ++c) {
        matched[c] += lag <= rule.tolerance(c);
        nearby[c] += lag <= rule.tolerance(c) * rule.background_ratio;
      }
      i = i_end;
      j = j_end;
    }
  }
  m.log10_p = 1;
  for (int c = 0; c < scales; ++c) {
    if (matched[c] == 0) continue;
    const double p = binomial_tail_log10(nearby[c], matched[c], 1.0 / rule.background_ratio);
    if (p < m.log10_p) {
      m.log10_p = p;
      m.scale = c;
    }
  }
  if (m.log10_p > 0) m.log10_p = 0;
  m.matched = matched[m.scale];
  m.nearby = nearby[m.scale];
  const int64_t union_slots = static_cast<int64_t>(distinct_a) + distinct_b - m.matched;
  m.similarity = union_slots > 0 ? static_cast<double>(m.matched) / union_slots : 0.0;
  return m;
}

}  // namespace unfriend
