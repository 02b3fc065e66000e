#include "host/pipeline/lockstep.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/core/union_find.h"
#include "host/cpu/lockstep_pairs.h"
#include "host/io/action_log.h"
#include "host/pipeline/lockstep_groups.h"
#include "host/pipeline/memory_plan.h"

namespace unfriend {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + mid)) / 2;
  return m;
}

void describe_campaign(const ActionIndex& index, const std::vector<uint32_t>& members,
                       Campaign& c) {
  // Members per slot (each member counted once per slot) and each member's first time there.
  std::map<uint32_t, std::vector<int64_t>> first_times;
  for (uint32_t a : members) {
    for_each_first_action(index, a, [&](int64_t e) {
      first_times[index.account_slot[e]].push_back(index.account_time[e]);
    });
  }
  const size_t quorum = std::max<size_t>(2, (members.size() + 3) / 4);
  std::map<int32_t, int64_t> kind_actions;
  std::vector<int64_t> targets;
  std::vector<double> delays;
  c.first_time = std::numeric_limits<int64_t>::max();
  c.last_time = std::numeric_limits<int64_t>::min();
  for (const auto& [slot, times] : first_times) {
    if (times.size() < quorum) continue;
    ++c.slots;
    targets.push_back(index.slot_target[slot]);
    kind_actions[index.slot_kind[slot]] += static_cast<int64_t>(times.size());
    c.actions += static_cast<int64_t>(times.size());
    const int64_t start = *std::min_element(times.begin(), times.end());
    c.first_time = std::min(c.first_time, start);
    c.last_time = std::max(c.last_time, *std::max_element(times.begin(), times.end()));
    for (int64_t t : times) delays.push_back(static_cast<double>(t - start));
  }
  std::sort(targets.begin(), targets.end());
  c.targets = std::unique(targets.begin(), targets.end()) - targets.begin();
  int64_t best = -1;
  for (const auto& [kind, count] : kind_actions) {
    if (count > best) {
      best = count;
      c.kind = kind;
    }
  }
  if (c.slots == 0) c.first_time = c.last_time = 0;
  c.median_delay = median_of(std::move(delays));
}

// Accounts with little activity cannot reach the link threshold with any one partner (four
// actions in lockstep give p = 8^-4 at best), but one that is in step with many members of a
// campaign is in it. Such an account joins the campaign that holds most of its support links
// (pairs with p <= attach_level) when that many support links among its tested pairs is itself
// improbable: binomial tail <= significance / eligible accounts.
void attach_to_campaigns(const std::vector<AccountPair>& pairs,
                         const std::vector<PairMatch>& matches, const SweepConfig::Lockstep& cfg,
                         LockstepResult& result, std::vector<std::vector<uint32_t>>& members) {
  const size_t n = result.campaign.size() ? result.campaign.size() : result.partner.size();
  std::vector<int64_t> group(n, -1);
  for (size_t g = 0; g < members.size(); ++g) {
    for (uint32_t a : members[g]) group[a] = static_cast<int64_t>(g);
  }
  std::vector<int32_t> tested(n, 0);
  std::vector<std::pair<uint32_t, int64_t>> support;
  const double support_log10 = std::log10(cfg.attach_level);
  for (size_t p = 0; p < pairs.size(); ++p) {
    const uint32_t a = pairs[p].first, b = pairs[p].second;
    ++tested[a];
    ++tested[b];
    const PairMatch& m = matches[p];
    if (m.matched < cfg.min_matches || m.log10_p > support_log10) continue;
    if (group[a] >= 0 && group[b] < 0) support.emplace_back(b, group[a]);
    if (group[b] >= 0 && group[a] < 0) support.emplace_back(a, group[b]);
  }
  std::sort(support.begin(), support.end());
  const double max_log10 =
      std::log10(cfg.significance) - std::log10(std::max<int64_t>(1, result.eligible_accounts));
  result.thresholds.attach_max_log10_p = max_log10;
  for (size_t i = 0; i < support.size();) {
    const uint32_t u = support[i].first;
    int64_t best_group = -1;
    int32_t best_count = 0;
    while (i < support.size() && support[i].first == u) {
      const int64_t g = support[i].second;
      int32_t count = 0;
      while (i < support.size() && support[i].first == u && support[i].second == g) {
        ++count;
        ++i;
      }
      if (count > best_count) {  // ties: the smaller group, which came first
        best_count = count;
        best_group = g;
      }
    }
    if (binomial_tail_log10(tested[u], best_count, cfg.attach_level) <= max_log10) {
      members[static_cast<size_t>(best_group)].push_back(u);
      result.attach_links[u] = best_count;
      ++result.attached_accounts;
    }
  }
  for (auto& m : members) std::sort(m.begin(), m.end());
}

// Per target: its actions, its reports, the reports from campaign members, and how many
// campaigns acted on it: "412 of the 430 reports against this post came from campaign 17".
void count_target_actions(const ActionIndex& index, LockstepResult& r) {
  const int64_t slots = index.slots();
  std::vector<int64_t> seen;
  for (int64_t s = 0; s < slots;) {
    int64_t e = s;
    const int64_t target = index.slot_target[static_cast<size_t>(s)];
    int64_t actions = 0, reports = 0, campaign_reports = 0;
    seen.clear();
    for (; e < slots && index.slot_target[static_cast<size_t>(e)] == target; ++e) {
      const bool report =
          index.slot_kind[static_cast<size_t>(e)] == static_cast<int32_t>(ActionKind::report);
      for (int64_t i = index.slot_offsets[e]; i < index.slot_offsets[e + 1]; ++i) {
        const int64_t c = r.campaign[index.slot_account[static_cast<size_t>(i)]];
        ++actions;
        reports += report;
        campaign_reports += report && c >= 0;
        if (c >= 0) seen.push_back(c);
      }
    }
    std::sort(seen.begin(), seen.end());
    r.target_id.push_back(target);
    r.target_actions.push_back(actions);
    r.target_reports.push_back(reports);
    r.target_reports_from_campaigns.push_back(campaign_reports);
    r.target_campaigns.push_back(std::unique(seen.begin(), seen.end()) - seen.begin());
    s = e;
  }
}

}  // namespace

LockstepResult find_campaigns(Backend& backend, const ActionIndex& index,
                              const SweepConfig& config) {
  const SweepConfig::Lockstep& cfg = config.lockstep;
  LockstepResult result;
  result.accounts = index.accounts();
  result.actions = index.actions;
  result.slots = index.slots();
  result.first_time = index.first_time;
  result.last_time = index.last_time;
  LockstepThresholds& th = result.thresholds;
  th.rule.min_tolerance = cfg.min_tolerance_s;
  th.rule.scales = cfg.tolerance_scales;
  th.rule.hour = cfg.hour_s;
  th.min_matches = cfg.min_matches;
  th.min_size = cfg.min_size;
  th.significance = cfg.significance;
  th.attach_level = cfg.attach_level;

  const size_t n = static_cast<size_t>(result.accounts);
  std::vector<uint8_t> eligible(n, 0);
  for (size_t a = 0; a < n; ++a) {
    eligible[a] = index.distinct_slots[a] >= cfg.min_matches;
    result.eligible_accounts += eligible[a];
  }

  auto start = std::chrono::steady_clock::now();
  // With --max-memory, each allocation of the search is checked before it is made, against what
  // the process holds already: refused with the numbers, never killed by the kernel.
  auto check_memory = [&](int64_t more, const char* what) {
    const int64_t limit = config.run.max_memory_bytes;
    const int64_t need = more + resident_bytes_now();
    if (limit > 0 && need > limit) {
      throw InputError(
          fmt::format("lockstep: {} needs about {} ({} accounts, {} actions), over "
                      "--max-memory {}",
                      what, human_bytes(static_cast<double>(need)), result.accounts, result.actions,
                      human_bytes(static_cast<double>(limit))));
    }
  };
  // Signatures, and per hash at most `window` pairs an account, held twice while merged.
  check_memory(result.accounts * cfg.hashes * (8 + 16 * cfg.window), "the candidate search");
  CandidateOptions options;
  options.tolerance = th.rule.tolerance(th.rule.scales - 1);
  options.hashes = cfg.hashes;
  options.window = cfg.window;
  options.seed = config.knn.seed;
  const std::vector<AccountPair> pairs =
      candidate_pairs(backend.lockstep_signatures(index, eligible, options), eligible, options);
  result.candidate_pairs = static_cast<int64_t>(pairs.size());
  result.seconds_candidates = seconds_since(start);
  check_memory(static_cast<int64_t>(pairs.size()) * static_cast<int64_t>(sizeof(PairMatch) + 1) +
                   result.accounts * 48,
               "matching the candidate pairs");
  // Every candidate is tested at every tolerance: at most `significance` false links expected.
  th.max_log10_p =
      std::log10(cfg.significance) -
      std::log10(std::max<double>(1.0, static_cast<double>(pairs.size()) * th.rule.scales));
  log_info(fmt::format(
      "lockstep: {} accounts ({} with >= {} slots), {} actions, {} slots; {} "
      "candidate pairs; tolerances {}..{} s; a link needs p <= 10^{:.2f}",
      result.accounts, result.eligible_accounts, cfg.min_matches, result.actions, result.slots,
      pairs.size(), th.rule.tolerance(0), th.rule.tolerance(th.rule.scales - 1), th.max_log10_p));

  start = std::chrono::steady_clock::now();
  // One call (the backend uploads the index once), with progress with an ETA as it goes.
  Progress progress("lockstep: matching candidate pairs", static_cast<int64_t>(pairs.size()),
                    "pairs");
  const std::vector<PairMatch> matches = backend.lockstep_match_pairs(
      index, pairs, th.rule, [&](int64_t done) { progress.advance(done); });
  progress.finish();
  result.seconds_verify = seconds_since(start);

  start = std::chrono::steady_clock::now();
  UnionFind sets(result.accounts);
  result.partner.assign(n, -1);
  result.partner_log10_p.assign(n, 0.0f);
  result.partner_similarity.assign(n, 0.0f);
  result.partner_matches.assign(n, 0);
  result.partner_shared.assign(n, 0);
  result.partner_chance.assign(n, 0.0f);
  result.partner_tolerance.assign(n, 0);
  result.attach_links.assign(n, 0);
  std::vector<uint8_t> linked(pairs.size(), 0);
  for (size_t p = 0; p < pairs.size(); ++p) {
    const PairMatch& m = matches[p];
    if (m.matched < cfg.min_matches || m.log10_p > th.max_log10_p) continue;
    linked[p] = 1;
    ++result.linked_pairs;
    const uint32_t a = pairs[p].first, b = pairs[p].second;
    sets.unite(a, b);
    for (uint32_t self : {a, b}) {
      // The most significant partner is the evidence; ties keep the first (smallest) pair.
      if (m.log10_p < result.partner_log10_p[self]) {
        result.partner_log10_p[self] = static_cast<float>(m.log10_p);
        result.partner[self] = self == a ? b : a;
        result.partner_similarity[self] = static_cast<float>(m.similarity);
        result.partner_matches[self] = m.matched;
        result.partner_shared[self] = m.shared;
        result.partner_chance[self] = m.chance;
        result.partner_tolerance[self] = static_cast<int32_t>(th.rule.tolerance(m.scale));
      }
    }
  }
  const std::vector<int64_t> root = sets.labels();
  std::vector<int64_t> root_size(n, 0);
  for (size_t a = 0; a < n; ++a) ++root_size[static_cast<size_t>(root[a])];
  std::vector<int64_t> group_of_root(n, -1);
  std::vector<std::vector<uint32_t>> members;
  for (size_t a = 0; a < n; ++a) {
    const size_t r = static_cast<size_t>(root[a]);
    if (root_size[r] < cfg.min_size) continue;
    if (group_of_root[r] < 0) {
      group_of_root[r] = static_cast<int64_t>(members.size());
      members.emplace_back();
    }
    members[static_cast<size_t>(group_of_root[r])].push_back(static_cast<uint32_t>(a));
  }
  attach_to_campaigns(pairs, matches, cfg, result, members);
  std::vector<double> excess_of;  // per campaign: the group test's excess, 0 for linked ones
  if (cfg.group_permutations > 0) {
    std::vector<int64_t> in_campaign(n, -1);
    for (size_t g = 0; g < members.size(); ++g) {
      for (uint32_t a : members[g]) in_campaign[a] = static_cast<int64_t>(g);
    }
    const size_t before = members.size();
    excess_of.assign(members.size(), 0.0);
    find_group_campaigns(index, pairs, matches, config, th, in_campaign, members, excess_of);
    result.group_campaigns = static_cast<int64_t>(members.size() - before);
    // Quiet accounts in step with a group campaign join it as they join a linked one.
    if (result.group_campaigns > 0) attach_to_campaigns(pairs, matches, cfg, result, members);
  }
  std::vector<Campaign> campaigns(members.size());
  std::vector<double> similarity_sum(members.size(), 0.0), strength_sum(members.size(), 0.0);
  for (size_t p = 0; p < pairs.size(); ++p) {
    if (!linked[p]) continue;
    const int64_t g = group_of_root[static_cast<size_t>(root[pairs[p].first])];
    if (g < 0) continue;
    ++campaigns[static_cast<size_t>(g)].edges;
    similarity_sum[static_cast<size_t>(g)] += matches[p].similarity;
    strength_sum[static_cast<size_t>(g)] += matches[p].log10_p / th.max_log10_p;
  }
  for (size_t g = 0; g < members.size(); ++g) {
    Campaign& c = campaigns[g];
    c.id = static_cast<int64_t>(g);
    c.size = static_cast<int64_t>(members[g].size());
    c.representative = members[g].front();
    c.mean_similarity = c.edges ? similarity_sum[g] / c.edges : 0;
    // Linked campaigns score by how far their links pass the threshold; the group test's by
    // how many times more often members are close than their own delays give.
    c.score = c.edges ? strength_sum[g] / c.edges : 0;
    c.decided_by = "links";
    if (g < excess_of.size() && excess_of[g] > 0) {
      c.score = excess_of[g];
      c.decided_by = "group";
    }
    describe_campaign(index, members[g], c);
  }
  // Ids by evidence: score, then size, then the smallest member.
  std::vector<size_t> order(campaigns.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const Campaign& a = campaigns[x];
    const Campaign& b = campaigns[y];
    if (a.score != b.score) return a.score > b.score;
    if (a.size != b.size) return a.size > b.size;
    return a.representative < b.representative;
  });
  result.campaign.assign(n, -1);
  for (size_t rank = 0; rank < order.size(); ++rank) {
    Campaign c = campaigns[order[rank]];
    c.id = static_cast<int64_t>(rank);
    for (uint32_t a : members[order[rank]]) result.campaign[a] = c.id;
    result.campaigns.push_back(c);
  }
  count_target_actions(index, result);
  result.seconds_campaigns = seconds_since(start);
  return result;
}

}  // namespace unfriend
