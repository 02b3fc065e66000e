// The lockstep rule that both backends follow: how two accounts' actions are compared, and when
// their timing is synchronised beyond what their own reaction speeds explain.
//
// Two accounts share a slot (same target, same kind) when both acted on it. Their lag there is
// the smallest time difference between their actions on it; each one's delay is its first
// action there after the target's first action by anyone (a stand-in for publication). Fans who
// always react within minutes of a post are close to each other on every post without acting
// together; a campaign's members act together. So the null keeps each account's own delays and
// breaks their pairing: the chance that a lag is within T is the share of the pair's delay
// pairs from different shared slots, d_a(s) and d_b(s'), that are within T of each other, or,
// when larger (and from at least kMinSameHourPairs pairs), that share among slots whose targets
// appeared in the same hour of the day: posts that appear at night are answered when fans
// wake, which brings two fans' delays together on every night post without coordination. The
// pair is synchronised at T when the binomial tail of its matched slots (lag <= T) among its
// shared slots is small under that chance; every tolerance is tried and the most significant is
// kept. The threshold on that tail comes from the number of pairs tested
// (host/pipeline/lockstep.cpp), not from one data set.
#pragma once

#include <cmath>
#include <cstdint>

#include "host/core/host_device.h"

namespace unfriend {

constexpr int kMaxToleranceScales = 8;
/// Shared slots whose delays enter the null (the first ones in slot order): bounds the work of a
/// pair of very active accounts and the device's per-thread memory.
constexpr int kMaxNullSlots = 128;

/// Fewest delay pairs from different slots of the same hour of the day for their share to be
/// used as the chance (below it the share is too noisy to mean anything, and the plain one holds).
constexpr int kMinSameHourPairs = 16;

struct LockstepRule {
  int64_t min_tolerance = 60;  // seconds: the first tolerance; each next one is 4x the previous
  int scales = 3;
  int64_t hour = 3600;  // seconds: the width of an hour of the day, for the same-hour null
  UNFRIEND_HOST_DEVICE int64_t tolerance(int scale) const { return min_tolerance << (2 * scale); }
};

struct PairMatch {
  int32_t shared = 0;     // slots both acted on
  int32_t matched = 0;    // at the chosen tolerance: shared slots with lag <= T
  int32_t scale = 0;      // the chosen tolerance (index into the rule's scales)
  float chance = 0;       // the null's probability that a shared slot matches at T
  double log10_p = 0;     // binomial tail of matched among shared under that chance
  double similarity = 0;  // Jaccard over slots at the chosen tolerance
};

/// log10 P(X >= k) for X ~ Binomial(n, p), summed from k upward until the terms vanish.
UNFRIEND_HOST_DEVICE inline double binomial_tail_log10(int32_t n, int32_t k, double p) {
  if (k <= 0) return 0;
  if (k > n) return -HUGE_VAL;
  if (p >= 1) return 0;
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
/// `distinct_*`: its number of distinct slots; `slot_first_time`: per slot, the first action
/// on its target by anyone.
UNFRIEND_HOST_DEVICE inline PairMatch match_accounts(const uint32_t* slot_a, const int64_t* time_a,
                                                     int64_t len_a, int32_t distinct_a,
                                                     const uint32_t* slot_b, const int64_t* time_b,
                                                     int64_t len_b, int32_t distinct_b,
                                                     const int64_t* slot_first_time,
                                                     const LockstepRule& rule) {
  int32_t matched[kMaxToleranceScales] = {};
  int64_t delay_a[kMaxNullSlots], delay_b[kMaxNullSlots];
  int32_t hour_of[kMaxNullSlots];
  int kept = 0;
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
        if (d < 0)
          ++p;
        else
          ++q;
      }
      if (kept < kMaxNullSlots) {
        delay_a[kept] = time_a[i] - slot_first_time[s];
        delay_b[kept] = time_b[j] - slot_first_time[s];
        const int64_t of_day = ((slot_first_time[s] % 86400) + 86400) % 86400;
        hour_of[kept] = static_cast<int32_t>(of_day / (rule.hour > 0 ? rule.hour : 1));
        ++kept;
      }
      ++m.shared;
      for (int c = 0; c < scales; ++c) matched[c] += lag <= rule.tolerance(c);
      i = i_end;
      j = j_end;
    }
  }
  m.log10_p = 1;
  for (int c = 0; c < scales; ++c) {
    if (matched[c] == 0) continue;
    // Delay pairs from different slots within T, smoothed so that none is certain or impossible.
    const int64_t tolerance = rule.tolerance(c);
    int64_t within = 0, within_hour = 0, cross_hour = 0;
    for (int x = 0; x < kept; ++x) {
      for (int y = 0; y < kept; ++y) {
        if (x == y) continue;
        const int64_t d = delay_a[x] - delay_b[y];
        const bool close = d <= tolerance && d >= -tolerance;
        within += close;
        if (hour_of[x] == hour_of[y]) {
          ++cross_hour;
          within_hour += close;
        }
      }
    }
    const double cross = static_cast<double>(kept) * (kept - 1);
    double chance = (within + 1.0) / (cross + 2.0);
    if (cross_hour >= kMinSameHourPairs) {
      const double same_hour = (within_hour + 1.0) / (cross_hour + 2.0);
      if (same_hour > chance) chance = same_hour;
    }
    const double p = binomial_tail_log10(m.shared, matched[c], chance);
    if (p < m.log10_p) {
      m.log10_p = p;
      m.scale = c;
      m.chance = static_cast<float>(chance);
    }
  }
  if (m.log10_p > 0) m.log10_p = 0;
  m.matched = matched[m.scale];
  const int64_t union_slots = static_cast<int64_t>(distinct_a) + distinct_b - m.matched;
  m.similarity = union_slots > 0 ? static_cast<double>(m.matched) / union_slots : 0.0;
  return m;
}

}  // namespace unfriend
