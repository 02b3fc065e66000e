#include "host/pipeline/lockstep_groups.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "host/core/splitmix64.h"
#include "host/core/union_find.h"

namespace unfriend {

namespace {

constexpr int64_t kDaySeconds = 86400;

// A member's delay on one of the group's slots, in a layout (observed or shuffled).
struct Placed {
  int64_t delay = 0;
  uint32_t member = 0;
};

// Per member: the other members co-present on a slot with a delay within `tolerance` of its
// own, summed over the group's slots.
void close_partners(std::vector<std::vector<Placed>>& layout, int64_t tolerance,
                    std::vector<int64_t>& per_member) {
  std::fill(per_member.begin(), per_member.end(), 0);
  for (std::vector<Placed>& d : layout) {
    std::sort(d.begin(), d.end(), [](const Placed& x, const Placed& y) {
      return x.delay != y.delay ? x.delay < y.delay : x.member < y.member;
    });
    // Each member's partners: the others within [delay - T, delay + T].
    size_t lo = 0, hi = 0;
    for (size_t i = 0; i < d.size(); ++i) {
      while (d[i].delay - d[lo].delay > tolerance) ++lo;
      while (hi < d.size() && d[hi].delay - d[i].delay <= tolerance) ++hi;
      per_member[d[i].member] += static_cast<int64_t>(hi - lo - 1);
    }
  }
}

// One member's first action on a slot of the group that another member shares.
struct MemberSlot {
  uint32_t slot = 0;  // index among the group's shared slots
  int32_t hour = 0;   // the stratum: the hour of the day the slot's target was first acted on
  int64_t delay = 0;  // after that first action
};

// The support links among accounts in no campaign, reduced to their 2-core (members with at
// least two links inside): an account with one weak link is no evidence of a group.
std::vector<std::vector<uint32_t>> support_core(const std::vector<AccountPair>& pairs,
                                                const std::vector<PairMatch>& matches,
                                                const SweepConfig::Lockstep& cfg,
                                                const std::vector<int64_t>& in_campaign) {
  const size_t n = in_campaign.size();
  const double support_log10 = std::log10(cfg.attach_level);
  std::vector<std::vector<uint32_t>> adjacency(n);
  for (size_t p = 0; p < pairs.size(); ++p) {
    const uint32_t a = pairs[p].first, b = pairs[p].second;
    if (in_campaign[a] >= 0 || in_campaign[b] >= 0) continue;
    if (matches[p].matched < cfg.min_matches || matches[p].log10_p > support_log10) continue;
    adjacency[a].push_back(b);
    adjacency[b].push_back(a);
  }
  std::vector<int32_t> degree(n);
  std::vector<uint32_t> drop;
  for (size_t a = 0; a < n; ++a) {
    degree[a] = static_cast<int32_t>(adjacency[a].size());
    if (degree[a] > 0 && degree[a] < 2) drop.push_back(static_cast<uint32_t>(a));
  }
  while (!drop.empty()) {
    const uint32_t a = drop.back();
    drop.pop_back();
    if (degree[a] <= 0) continue;
    degree[a] = 0;
    for (uint32_t b : adjacency[a]) {
      if (degree[b] > 0 && --degree[b] == 1) drop.push_back(b);
    }
  }
  for (size_t a = 0; a < n; ++a) {
    if (degree[a] < 2) {
      adjacency[a].clear();
      continue;
    }
    auto& list = adjacency[a];
    list.erase(std::remove_if(list.begin(), list.end(), [&](uint32_t b) { return degree[b] < 2; }),
               list.end());
  }
  return adjacency;
}

}  // namespace

std::vector<uint32_t> propagate_labels(const std::vector<std::vector<uint32_t>>& adjacency,
                                       uint64_t seed, int max_rounds) {
  const size_t n = adjacency.size();
  std::vector<uint32_t> label(n);
  std::iota(label.begin(), label.end(), 0u);
  // Ties and the visiting order are broken by hashes of the seed: a fixed order or "smallest
  // label wins" floods every community with one label through the first ties.
  auto mix = [seed](uint64_t x, uint64_t y) {
    uint64_t state = seed ^ (x * 0x9E3779B97F4A7C15ULL) ^ (y + 0x632BE59BD9B4E019ULL);
    return splitmix64_next(state);
  };
  std::vector<uint32_t> order(n), seen;
  std::iota(order.begin(), order.end(), 0u);
  for (int round = 0; round < max_rounds; ++round) {
    std::vector<uint64_t> key(n);
    for (size_t a = 0; a < n; ++a) key[a] = mix(a, static_cast<uint64_t>(round) + (1ULL << 40));
    std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) { return key[x] < key[y]; });
    bool changed = false;
    for (uint32_t a : order) {
      if (adjacency[a].empty()) continue;
      seen.clear();
      for (uint32_t b : adjacency[a]) seen.push_back(label[b]);
      std::sort(seen.begin(), seen.end());
      size_t best_count = 0, own_count = 0;
      uint32_t best = label[a];
      uint64_t best_key = 0;
      for (size_t i = 0; i < seen.size();) {
        size_t j = i;
        while (j < seen.size() && seen[j] == seen[i]) ++j;
        const size_t count = j - i;
        if (seen[i] == label[a]) own_count = count;
        const uint64_t tie = mix(a, seen[i]);
        if (count > best_count || (count == best_count && tie < best_key)) {
          best_count = count;
          best = seen[i];
          best_key = tie;
        }
        i = j;
      }
      if (own_count == best_count) best = label[a];  // a node keeps a label that is among the best
      if (best != label[a]) {
        label[a] = best;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return label;
}

GroupTest test_group(const ActionIndex& index, const std::vector<uint32_t>& members,
                     const SweepConfig::Lockstep& cfg, const LockstepRule& rule, double max_log10_p,
                     uint64_t seed) {
  // The group's slots: those at least two members acted on.
  std::map<uint32_t, int> members_on;
  for (uint32_t a : members) {
    for_each_first_action(index, a, [&](int64_t e) { ++members_on[index.account_slot[e]]; });
  }
  std::map<uint32_t, uint32_t> slot_of;
  for (const auto& [slot, count] : members_on) {
    if (count >= 2) slot_of.emplace(slot, static_cast<uint32_t>(slot_of.size()));
  }
  const int64_t hour_seconds = std::max<int64_t>(1, cfg.hour_s);
  std::vector<std::vector<MemberSlot>> member_slots(members.size());
  for (size_t m = 0; m < members.size(); ++m) {
    for_each_first_action(index, members[m], [&](int64_t e) {
      const uint32_t s = index.account_slot[e];
      const auto it = slot_of.find(s);
      if (it == slot_of.end()) return;
      const int64_t first = index.slot_first_time[s];
      const int64_t of_day = ((first % kDaySeconds) + kDaySeconds) % kDaySeconds;
      member_slots[m].push_back(
          {it->second, static_cast<int32_t>(of_day / hour_seconds), index.account_time[e] - first});
    });
  }
  auto observed_layout = [&] {
    std::vector<std::vector<Placed>> slots(slot_of.size());
    for (size_t m = 0; m < member_slots.size(); ++m) {
      for (const MemberSlot& ms : member_slots[m])
        slots[ms.slot].push_back({ms.delay, static_cast<uint32_t>(m)});
    }
    return slots;
  };
  // The null: each member's delays moved among its own slots of the same stratum, in a random
  // cycle (no delay stays on its slot unless it is alone in its stratum, which keeps the null
  // conservative for quiet members).
  uint64_t state = seed;
  std::vector<uint64_t> keys;
  std::vector<size_t> order;
  auto shuffled_layout = [&](bool same_hour) {
    std::vector<std::vector<Placed>> slots(slot_of.size());
    for (size_t m = 0; m < member_slots.size(); ++m) {
      const std::vector<MemberSlot>& list = member_slots[m];
      keys.resize(list.size());
      order.resize(list.size());
      for (size_t i = 0; i < list.size(); ++i) keys[i] = splitmix64_next(state);
      std::iota(order.begin(), order.end(), size_t{0});
      auto stratum = [&](size_t x) { return same_hour ? list[x].hour : 0; };
      std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        if (stratum(x) != stratum(y)) return stratum(x) < stratum(y);
        return keys[x] < keys[y];
      });
      for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j < order.size() && stratum(order[j]) == stratum(order[i])) ++j;
        for (size_t q = i; q < j; ++q) {
          const size_t from = q + 1 < j ? q + 1 : i;
          slots[list[order[q]].slot].push_back({list[order[from]].delay, static_cast<uint32_t>(m)});
        }
        i = j;
      }
    }
    return slots;
  };
  // Members are the units of evidence: each is more in step with the others than its own
  // shuffled delays make it, or less, or neither (dropped); the group is significant when the
  // members more in step are too many for a fair coin (sign test), and the excess (close pairs
  // observed / under the null) says by how much.
  const size_t n = members.size();
  std::vector<int64_t> observed(n), shuffled(n);
  std::vector<double> null_sum(n);
  struct Measured {
    double excess = 0, share = 0, log10_p = 0;
    int32_t above = 0, below = 0;
  };
  // The observed layout is the same for both nulls: its close partners are counted once per
  // tolerance, before the shuffles that `measure` compares them with.
  std::vector<std::vector<Placed>> aligned = observed_layout();
  auto measure = [&](int scale, bool same_hour) {
    const int64_t tolerance = rule.tolerance(scale);
    std::fill(null_sum.begin(), null_sum.end(), 0.0);
    for (int r = 0; r < cfg.group_permutations; ++r) {
      std::vector<std::vector<Placed>> layout = shuffled_layout(same_hour);
      close_partners(layout, tolerance, shuffled);
      for (size_t m = 0; m < n; ++m) null_sum[m] += static_cast<double>(shuffled[m]);
    }
    const double perms = std::max(1, cfg.group_permutations);
    double observed_total = 0, null_total = 0;
    int32_t above = 0, below = 0;
    for (size_t m = 0; m < n; ++m) {
      const double expected = null_sum[m] / perms;
      observed_total += static_cast<double>(observed[m]);
      null_total += expected;
      above += static_cast<double>(observed[m]) > expected;
      below += static_cast<double>(observed[m]) < expected;
    }
    Measured t;
    t.above = above;
    t.below = below;
    t.log10_p = binomial_tail_log10(above + below, above, 0.5);
    t.excess = observed_total / std::max(1.0, null_total);
    t.share = above + below > 0 ? static_cast<double>(above) / (above + below) : 0.0;
    return t;
  };
  // The evidence is the same-hour null's, which holds against the daily rhythm: nearly all
  // members in step, significantly many. The effect can be measured under either null: the
  // plain one moves a member's delays even where its slots are too few per hour for the
  // same-hour shuffle to move them (a like farm's dozens of orders at all hours).
  GroupTest best;
  for (int c = 0; c < rule.scales; ++c) {
    close_partners(aligned, rule.tolerance(c), observed);
    const Measured hour = measure(c, true);
    const Measured plain = measure(c, false);
    GroupTest t;
    t.scale = c;
    t.log10_p = hour.log10_p;
    t.members_above = hour.above;
    t.members_below = hour.below;
    t.share = hour.share;
    t.excess = hour.excess;
    t.plain_excess = plain.excess;
    t.passes = hour.log10_p <= max_log10_p && hour.share >= cfg.group_min_share &&
               (hour.excess >= cfg.group_hour_min_excess || plain.excess >= cfg.group_min_excess);
    const bool better = t.passes != best.passes ? t.passes : t.excess > best.excess;
    if (c == 0 || better) best = t;
  }
  return best;
}

namespace {

// The slots a community acts on as one: those at least a quarter of its members (and two) did.
std::vector<uint32_t> key_slots(const ActionIndex& index, const std::vector<uint32_t>& members) {
  std::map<uint32_t, size_t> count;
  for (uint32_t a : members) {
    for_each_first_action(index, a, [&](int64_t e) { ++count[index.account_slot[e]]; });
  }
  const size_t quorum = std::max<size_t>(2, (members.size() + 3) / 4);
  std::vector<uint32_t> slots;
  for (const auto& [slot, n] : count) {
    if (n >= quorum) slots.push_back(slot);
  }
  return slots;  // ascending
}

}  // namespace

std::vector<std::vector<size_t>> cells_of_one_campaign(
    const ActionIndex& index, const std::vector<std::vector<uint32_t>>& communities) {
  std::vector<std::vector<uint32_t>> keys(communities.size());
  std::map<uint32_t, std::vector<size_t>> holders;
  for (size_t c = 0; c < communities.size(); ++c) {
    keys[c] = key_slots(index, communities[c]);
    for (uint32_t s : keys[c]) holders[s].push_back(c);
  }
  UnionFind sets(static_cast<int64_t>(communities.size()));
  std::map<std::pair<size_t, size_t>, size_t> shared;
  for (const auto& [slot, list] : holders) {
    for (size_t x = 0; x < list.size(); ++x) {
      for (size_t y = x + 1; y < list.size(); ++y) ++shared[{list[x], list[y]}];
    }
  }
  for (const auto& [pair, n] : shared) {
    const size_t smaller = std::min(keys[pair.first].size(), keys[pair.second].size());
    if (2 * n > smaller) sets.unite(static_cast<int64_t>(pair.first), pair.second);
  }
  std::map<int64_t, size_t> set_of_root;
  std::vector<std::vector<size_t>> out;
  for (size_t c = 0; c < communities.size(); ++c) {
    const auto [it, fresh] = set_of_root.emplace(sets.find(static_cast<int64_t>(c)), out.size());
    if (fresh) out.emplace_back();
    out[it->second].push_back(c);
  }
  return out;
}

void find_group_campaigns(const ActionIndex& index, const std::vector<AccountPair>& pairs,
                          const std::vector<PairMatch>& matches, const SweepConfig& config,
                          const LockstepThresholds& th, std::vector<int64_t>& in_campaign,
                          std::vector<std::vector<uint32_t>>& members,
                          std::vector<double>& excess_of) {
  const SweepConfig::Lockstep& cfg = config.lockstep;
  const std::vector<std::vector<uint32_t>> core = support_core(pairs, matches, cfg, in_campaign);
  const std::vector<uint32_t> label = propagate_labels(core, config.knn.seed);
  std::map<uint32_t, std::vector<uint32_t>> communities;
  for (size_t a = 0; a < core.size(); ++a) {
    if (!core[a].empty()) communities[label[a]].push_back(static_cast<uint32_t>(a));
  }
  std::vector<std::vector<uint32_t>> parts;
  for (auto& [root, g] : communities) parts.push_back(std::move(g));
  // Judged sets: communities that act on the same slots are one campaign's cells (shifts that
  // act at different times, so that no link joins them) and are judged together first; when
  // the whole fails, each part is judged alone, as if never joined.
  struct Judged {
    std::vector<uint32_t> members;
    std::vector<size_t> parts;
  };
  std::vector<Judged> joined;
  int64_t tests = 0;
  for (std::vector<size_t>& cell_set : cells_of_one_campaign(index, parts)) {
    Judged j;
    for (size_t c : cell_set) {
      j.members.insert(j.members.end(), parts[c].begin(), parts[c].end());
      tests += static_cast<int>(parts[c].size()) >= cfg.min_size;
    }
    if (static_cast<int>(j.members.size()) < cfg.min_size) continue;
    std::sort(j.members.begin(), j.members.end());
    tests += cell_set.size() > 1;
    j.parts = std::move(cell_set);
    joined.push_back(std::move(j));
  }
  if (tests == 0) return;
  const double max_log10 =
      std::log10(cfg.significance) - std::log10(static_cast<double>(tests) * th.rule.scales);
  const uint64_t seed = config.knn.seed ^ 0x67726f7570ULL;  // "group"
  uint64_t k = 0;
  auto judge = [&](const std::vector<uint32_t>& g) {
    const GroupTest t = test_group(index, g, cfg, th.rule, max_log10, seed + k++);
    if (!t.passes) return false;
    for (uint32_t a : g) in_campaign[a] = static_cast<int64_t>(members.size());
    members.push_back(g);
    excess_of.push_back(t.excess);
    return true;
  };
  for (const Judged& j : joined) {
    if (j.parts.size() > 1 && judge(j.members)) continue;
    for (size_t c : j.parts) {
      if (static_cast<int>(parts[c].size()) >= cfg.min_size) judge(parts[c]);
    }
  }
}

}  // namespace unfriend
