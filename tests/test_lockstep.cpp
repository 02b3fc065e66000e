// The lockstep detector: the matching rule, campaigns found in a planted log against a brute-force
// oracle, the hard negatives left alone, determinism, and bad action logs refused in one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "host/core/error.h"
#include "host/core/lockstep_match.h"
#include "host/core/progress.h"
#include "host/core/union_find.h"
#include "host/cpu/lockstep_pairs.h"
#include "host/io/action_log.h"
#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "host/pipeline/action_index.h"
#include "host/pipeline/lockstep.h"
#include "tests/action_log_fixture.h"
#include "tests/backend_case.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

using Log = test::ActionLogFixture;

constexpr int64_t kStart = 1700000000;
constexpr int64_t kDay = 86400;

// Genuine background with a viral post and a fan base (hard negatives), and one mass-reporting
// campaign of 40 accounts that reports 25 activist posts (which genuine accounts view too) in
// waves of 3 minutes, 10 minutes to 3 hours after each post, at 80% participation, camouflaged
// with ordinary activity.
Log planted_log() {
  Log log;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  auto zipf_post = [&]() { return static_cast<int64_t>(3000 * std::pow(u(rng), 2.5)); };
  auto ordinary = [&](int64_t id, int actions) {
    for (int i = 0; i < actions; ++i) {
      log.add(id, zipf_post(), kStart + static_cast<int64_t>(u(rng) * 14 * kDay),
              u(rng) < 0.7 ? 1 : 0);
    }
  };
  for (int64_t g = 0; g < 2000; ++g) {
    const int64_t id = 100000 + g * 7;
    log.truth[id] = 0;
    ordinary(id, 5 + static_cast<int>(u(rng) * 25));
    if (g < 600) log.add(id, 50000, kStart + 3 * kDay + static_cast<int64_t>(u(rng) * 7200), 1);
  }
  // Fans: each with its own typical delay (5 to 60 minutes), independent from post to post.
  for (int64_t f = 0; f < 150; ++f) {
    const int64_t id = 300000 + f;
    log.truth[id] = 1;
    ordinary(id, 5);
    std::lognormal_distribution<double> fan_delay(std::log(300.0 + u(rng) * 3300), 0.8);
    for (int p = 0; p < 40; ++p) {
      if (u(rng) < 0.6) {
        log.add(id, 60000 + p, kStart + p * 8 * 3600 + static_cast<int64_t>(fan_delay(rng)), 1);
      }
    }
  }
  // Activist posts: organic views first, then a wave of reports a varying while after each post.
  std::lognormal_distribution<double> view_delay(std::log(1800.0), 1.0);
  std::vector<int64_t> wave(25);
  for (int p = 0; p < 25; ++p) {
    const int64_t posted = kStart + p * 12 * 3600;
    wave[p] = posted + 600 + static_cast<int64_t>(u(rng) * 10200);
    for (int v = 0; v < 30; ++v) {
      log.add(100000 + static_cast<int64_t>(u(rng) * 2000) * 7, 70000 + p,
              posted + static_cast<int64_t>(view_delay(rng)), 0);
    }
  }
  for (int64_t c = 0; c < 40; ++c) {
    const int64_t id = 400000 + c;
    log.truth[id] = 2;
    ordinary(id, 6);
    for (int p = 0; p < 25; ++p) {
      if (u(rng) < 0.8) log.add(id, 70000 + p, wave[p] + static_cast<int64_t>(u(rng) * 180), 4);
    }
  }
  return log;
}

TEST(LockstepMatch, MatchesAreJudgedAgainstTheAccountsOwnDelays) {
  // Targets of slots 0..4 first acted on at 0, 0, 1000, 5000, 9000. Account a: slot 1 at 100,
  // slot 2 at 1010, slot 3 at 5500. Account b: slot 1 at 130, slot 2 at 1300, slot 3 at 5520,
  // slot 4 at 9000. Shared: slots 1-3, lags 30, 290, 20; delays a (100, 10, 500), b (130, 300,
  // 520).
  const int64_t first[] = {0, 0, 1000, 5000, 9000};
  const uint32_t slot_a[] = {1, 2, 3};
  const int64_t time_a[] = {100, 1010, 5500};
  const uint32_t slot_b[] = {1, 2, 3, 4};
  const int64_t time_b[] = {130, 1300, 5520, 9000};
  LockstepRule rule;
  rule.min_tolerance = 60;
  rule.scales = 2;  // 60 and 240 s
  const PairMatch m = match_accounts(slot_a, time_a, 3, 3, slot_b, time_b, 4, 4, first, rule);
  EXPECT_EQ(m.shared, 3);
  // At 60 s: slots 1 and 3 match; no delay pair from different slots is within 60 s, so the
  // chance is (0 + 1) / (6 + 2) and the tail P(X >= 2 | 3, 1/8). At 240 s: still 2 matches, but
  // 3 of the 6 cross pairs are within 240 s: chance 1/2, a tail of 0.5, weaker.
  EXPECT_EQ(m.scale, 0);
  EXPECT_EQ(m.matched, 2);
  EXPECT_FLOAT_EQ(m.chance, 0.125f);
  EXPECT_NEAR(m.log10_p, std::log10(3 * (1.0 / 64) * (7.0 / 8) + 1.0 / 512), 1e-12);
  EXPECT_DOUBLE_EQ(m.similarity, 2.0 / 5.0);
  // Accounts that react at the same delay to every post are not in step with each other: a's
  // delays shifted so that every cross pair is as close as the aligned ones.
  const int64_t same_a[] = {100, 1100, 5100};
  const int64_t same_b[] = {110, 1110, 5110, 9000};
  const PairMatch fans = match_accounts(slot_a, same_a, 3, 3, slot_b, same_b, 4, 4, first, rule);
  EXPECT_EQ(fans.matched, 3);
  EXPECT_GT(fans.log10_p, -1.0) << "chance " << fans.chance;
}

// Two fans of a page that posts at 02:00 and in the afternoon: both answer night posts when
// they wake (07:00 and 07:00:20), day posts whenever. On every night post they are within a
// minute of each other, through nothing but the daily rhythm. Delay pairs from different slots
// of the same hour of the day are as close, so the same-hour chance explains their matches;
// over all slots (one "hour" of 24 h) it does not.
TEST(LockstepMatch, TheDailyRhythmIsNotLockstep) {
  constexpr int kPosts = 40;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<int64_t> first(kPosts), time_a(kPosts), time_b(kPosts);
  std::vector<uint32_t> slots(kPosts);
  for (int p = 0; p < kPosts; ++p) {
    const int64_t day = kStart + (p / 2) * kDay;
    slots[p] = static_cast<uint32_t>(p);
    if (p % 2 == 0) {
      first[p] = day + 2 * 3600;
      time_a[p] = day + 7 * 3600 + static_cast<int64_t>(u(rng) * 20);
      time_b[p] = day + 7 * 3600 + 20 + static_cast<int64_t>(u(rng) * 20);
    } else {
      first[p] = day + 14 * 3600 + static_cast<int64_t>(u(rng) * 3600);
      time_a[p] = first[p] + 120 + static_cast<int64_t>(u(rng) * 3 * 3600);
      time_b[p] = first[p] + 120 + static_cast<int64_t>(u(rng) * 3 * 3600);
    }
  }
  LockstepRule rule;
  auto match = [&] {
    return match_accounts(slots.data(), time_a.data(), kPosts, kPosts, slots.data(), time_b.data(),
                          kPosts, kPosts, first.data(), rule);
  };
  rule.hour = 3600;
  const PairMatch fans = match();
  EXPECT_GE(fans.matched, kPosts / 2);
  EXPECT_GT(fans.log10_p, -2.0) << "chance " << fans.chance;
  rule.hour = 86400;  // one stratum: the plain cross-slot chance only
  const PairMatch plain = match();
  EXPECT_LT(plain.log10_p, fans.log10_p - 2.0) << "chance " << plain.chance;
}

TEST(LockstepMatch, BinomialTailMatchesDirectSums) {
  for (int n : {1, 5, 30, 400}) {
    for (int k : {1, 2, n / 2 + 1, n}) {
      if (k > n) continue;
      const double p = 0.125;
      // Every term in natural log, summed with the largest factored out (no underflow).
      std::vector<double> terms;
      for (int x = k; x <= n; ++x) {
        terms.push_back(std::lgamma(n + 1.0) - std::lgamma(x + 1.0) - std::lgamma(n - x + 1.0) +
                        x * std::log(p) + (n - x) * std::log1p(-p));
      }
      const double top = *std::max_element(terms.begin(), terms.end());
      double sum = 0;
      for (double t : terms) sum += std::exp(t - top);
      EXPECT_NEAR(binomial_tail_log10(n, k, p), (top + std::log(sum)) / std::log(10.0), 1e-9)
          << n << " " << k;
    }
  }
  EXPECT_EQ(binomial_tail_log10(10, 0, 0.1), 0.0);
  EXPECT_EQ(binomial_tail_log10(1, 2, 0.1), -std::numeric_limits<double>::infinity());
}

// Every pair that co-acted on a slot, matched exactly, linked with the same thresholds, grouped:
// the campaigns the detector must find, with no MinHash in between.
std::set<std::set<int64_t>> brute_force_campaigns(const ActionIndex& index,
                                                  const LockstepResult& r) {
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  for (int64_t s = 0; s < index.slots(); ++s) {
    for (int64_t i = index.slot_offsets[s]; i < index.slot_offsets[s + 1]; ++i) {
      for (int64_t j = i + 1; j < index.slot_offsets[s + 1]; ++j) {
        const uint32_t a = index.slot_account[i], b = index.slot_account[j];
        if (a != b) pairs.emplace(std::min(a, b), std::max(a, b));
      }
    }
  }
  UnionFind sets(index.accounts());
  for (const auto& [a, b] : pairs) {
    const PairMatch m = match_pair(index, a, b, r.thresholds.rule);
    if (m.matched >= r.thresholds.min_matches && m.log10_p <= r.thresholds.max_log10_p) {
      sets.unite(a, b);
    }
  }
  std::map<int64_t, std::set<int64_t>> groups;
  for (int64_t a = 0; a < index.accounts(); ++a) groups[sets.find(a)].insert(index.account_ids[a]);
  std::set<std::set<int64_t>> out;
  for (const auto& [root, members] : groups) {
    if (static_cast<int>(members.size()) >= r.thresholds.min_size) out.insert(members);
  }
  return out;
}

std::set<std::set<int64_t>> found_campaigns(const ActionIndex& index, const LockstepResult& r) {
  std::map<int64_t, std::set<int64_t>> groups;
  for (int64_t a = 0; a < index.accounts(); ++a) {
    if (r.campaign[a] >= 0) groups[r.campaign[a]].insert(index.account_ids[a]);
  }
  std::set<std::set<int64_t>> out;
  for (const auto& [id, members] : groups) out.insert(members);
  return out;
}

TEST(Lockstep, FindsThePlantedCampaignAndLeavesViralAndFanAccountsAlone) {
  const std::string dir = test::scratch_dir();
  const Log log = planted_log();
  log.write(dir + "/actions.h5", true);
  ActionLogReader reader(dir + "/actions.h5");
  const ActionIndex index = build_action_index(reader, 5000);
  SweepConfig config;
  const auto cpu = make_backend(BackendKind::cpu, {});
  const LockstepResult r = find_campaigns(*cpu, index, config);
  EXPECT_LT(r.thresholds.max_log10_p, std::log10(config.lockstep.significance));

  std::map<int, int> flagged, total;
  for (int64_t a = 0; a < index.accounts(); ++a) {
    const int kind = log.truth.at(index.account_ids[a]);
    ++total[kind];
    flagged[kind] += r.campaign[a] >= 0;
  }
  EXPECT_EQ(flagged[0], 0) << "genuine accounts (600 of them on one viral post) flagged";
  EXPECT_EQ(flagged[1], 0) << "fan-base accounts flagged";
  EXPECT_GE(flagged[2], 38) << "of 40 campaign accounts";
  ASSERT_EQ(r.campaigns.size(), 1u);
  EXPECT_EQ(action_kind_name(r.campaigns[0].kind), "report");
  EXPECT_EQ(r.campaigns[0].decided_by, "links");
  EXPECT_EQ(r.campaigns[0].targets, 25);
  EXPECT_LT(r.campaigns[0].median_delay, 180);  // after the first member, on each target
  // MinHash candidates lose nothing the brute-force oracle links.
  EXPECT_EQ(found_campaigns(index, r), brute_force_campaigns(index, r));
}

// A network too thinly spread for any one pair to be evidence: 40 accounts, each in 6 of 12
// waves, so that a pair shares about three. Only the group test finds it.
TEST(Lockstep, AThinlySpreadNetworkIsFoundAsAGroupNotByAnyPair) {
  const std::string dir = test::scratch_dir();
  Log log = planted_log();
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(0, 1);
  for (int64_t c = 0; c < 40; ++c) {
    const int64_t id = 500000 + c;
    log.truth[id] = 2;
    std::vector<int> posts(12);
    for (int p = 0; p < 12; ++p) posts[p] = p;
    std::shuffle(posts.begin(), posts.end(), rng);
    for (int i = 0; i < 6; ++i) {
      const int p = posts[i];
      const int64_t wave = kStart + p * 13 * 3600 + 900 + p * 977 % 9000;
      log.add(id, 80000 + p, wave + static_cast<int64_t>(u(rng) * 120), 4);
    }
    for (int i = 0; i < 3; ++i)
      log.add(id, static_cast<int64_t>(u(rng) * 3000),
              kStart + static_cast<int64_t>(u(rng) * 14 * kDay), 1);
  }
  for (int p = 0; p < 12; ++p) {  // organic views first
    for (int v = 0; v < 20; ++v) {
      log.add(100000 + static_cast<int64_t>(u(rng) * 2000) * 7, 80000 + p,
              kStart + p * 13 * 3600 + static_cast<int64_t>(u(rng) * 7200), 0);
    }
  }
  log.write(dir + "/actions.h5", true);
  ActionLogReader reader(dir + "/actions.h5");
  const ActionIndex index = build_action_index(reader, 4096);
  const auto cpu = make_backend(BackendKind::cpu, {});
  auto thin_found = [&](const LockstepResult& r) {
    int64_t found = 0;
    for (int64_t a = 0; a < index.accounts(); ++a) {
      found += index.account_ids[a] >= 500000 && r.campaign[a] >= 0;
    }
    return found;
  };
  SweepConfig config;
  config.lockstep.group_permutations = 0;
  EXPECT_EQ(thin_found(find_campaigns(*cpu, index, config)), 0) << "no pair is a link";
  config.lockstep.group_permutations = 8;
  const LockstepResult r = find_campaigns(*cpu, index, config);
  EXPECT_GE(thin_found(r), 36);
  EXPECT_GE(r.group_campaigns, 1);
  bool group_decided = false;
  for (const Campaign& c : r.campaigns) group_decided |= c.decided_by == "group" && c.score > 1;
  EXPECT_TRUE(group_decided);
  for (int64_t a = 0; a < index.accounts(); ++a) {
    const int kind = log.truth.at(index.account_ids[a]);
    if (kind < 2) EXPECT_EQ(r.campaign[a], -1) << "account " << index.account_ids[a];
  }
}

TEST(Lockstep, TheSameLogInAnotherRowOrderGivesTheSameResult) {
  const std::string dir = test::scratch_dir();
  const Log log = planted_log();
  log.write(dir + "/a.h5", false);
  log.write(dir + "/b.h5", true, 99);
  SweepConfig config;
  const auto cpu = make_backend(BackendKind::cpu, {});
  ActionLogReader ra(dir + "/a.h5"), rb(dir + "/b.h5");
  const ActionIndex ia = build_action_index(ra, 1000), ib = build_action_index(rb, 777);
  const LockstepResult a = find_campaigns(*cpu, ia, config), b = find_campaigns(*cpu, ib, config);
  EXPECT_EQ(ia.account_ids, ib.account_ids);
  EXPECT_EQ(a.campaign, b.campaign);
  EXPECT_EQ(a.partner, b.partner);
  EXPECT_EQ(a.thresholds.max_log10_p, b.thresholds.max_log10_p);
  EXPECT_EQ(a.partner_log10_p, b.partner_log10_p);
}

TEST(Lockstep, CommandWritesTheResultAndSummary) {
  const std::string dir = test::scratch_dir();
  planted_log().write(dir + "/actions.h5", true);
  const auto run = test::run_unfriend("-q lockstep " + dir + "/actions.h5 -o " + dir + "/out.h5");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("1 campaigns"), std::string::npos) << run.out;
  EXPECT_TRUE(test::file_exists(dir + "/out.summary.json"));
  H5Reader out(dir + "/out.h5");
  EXPECT_EQ(out.read_int64("/accounts/id").size(), out.read_int64("/labels/campaign").size());
  EXPECT_EQ(out.read_int64("/campaigns/size").size(), 1u);
  EXPECT_LT(out.read_double_attribute("/lockstep", "max_log10_p"), -2.0);
  // Per target, the reports that came from the campaign: on the activist posts, all of them.
  const std::vector<int64_t> target = out.read_int64("/targets/id");
  const std::vector<int64_t> reports = out.read_int64("/targets/reports");
  const std::vector<int64_t> from = out.read_int64("/targets/reports_from_campaigns");
  const std::vector<int64_t> campaigns = out.read_int64("/targets/campaigns");
  ASSERT_EQ(target.size(), reports.size());
  int64_t activist = 0;
  for (size_t t = 0; t < target.size(); ++t) {
    if (target[t] >= 70000 && target[t] < 70025) {
      ++activist;
      EXPECT_GT(reports[t], 20);
      EXPECT_GE(from[t], reports[t] - 1) << "target " << target[t];
      EXPECT_EQ(campaigns[t], 1);
    } else {
      EXPECT_EQ(from[t], 0) << "target " << target[t];
    }
  }
  EXPECT_EQ(activist, 25);
  // A memory limit the run cannot keep is refused with the numbers, and nothing is written.
  const auto tight = test::run_unfriend("-q lockstep " + dir + "/actions.h5 -o " + dir +
                                        "/tight.h5 --max-memory 20M");
  EXPECT_EQ(tight.exit_code, 2);
  EXPECT_NE(tight.err.find("over --max-memory 20.0 MiB"), std::string::npos) << tight.err;
  EXPECT_FALSE(test::file_exists(dir + "/tight.h5"));
  // Any thread count gives the same result.
  const auto serial =
      test::run_unfriend("-q lockstep " + dir + "/actions.h5 -o " + dir + "/serial.h5 --threads 1");
  ASSERT_EQ(serial.exit_code, 0) << serial.err;
  H5Reader one(dir + "/serial.h5");
  EXPECT_EQ(one.read_int64("/labels/campaign"), out.read_int64("/labels/campaign"));
  EXPECT_EQ(one.read_int64("/evidence/partner"), out.read_int64("/evidence/partner"));
  EXPECT_EQ(one.read_float32("/evidence/partner_log10_p"),
            out.read_float32("/evidence/partner_log10_p"));
  // `unfriend evaluate` scores campaigns against an action-log world's truth.
  const auto scored =
      test::run_unfriend("evaluate " + dir + "/out.h5 --truth " + dir + "/actions.h5");
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_NE(scored.out.find("precision 1.0000"), std::string::npos) << scored.out;
  EXPECT_NE(scored.out.find("dense-genuine false-positive rate: 0.0000"), std::string::npos)
      << scored.out;
  // An existing output is not replaced without --overwrite.
  const auto again = test::run_unfriend("-q lockstep " + dir + "/actions.h5 -o " + dir + "/out.h5");
  EXPECT_EQ(again.exit_code, 2);
}

// Every backend against the CPU reference: the same signature bits, the same pair matches, and
// so the same campaigns.
class LockstepBackend : public test::BackendCase {};

TEST_P(LockstepBackend, SignaturesMatchesAndCampaignsEqualTheCpuReference) {
  const std::string dir = test::scratch_dir();
  planted_log().write(dir + "/actions.h5", true);
  ActionLogReader reader(dir + "/actions.h5");
  const ActionIndex index = build_action_index(reader, 4096);
  std::vector<uint8_t> eligible(static_cast<size_t>(index.accounts()));
  for (size_t a = 0; a < eligible.size(); ++a)
    eligible[a] = index.distinct_slots[a] >= 3 || a % 7 == 0;
  for (int hashes : {1, 24, 33}) {
    CandidateOptions options;
    options.hashes = hashes;
    options.tolerance = 960;
    EXPECT_EQ(backend_->lockstep_signatures(index, eligible, options),
              minhash_signatures(index, eligible, options))
        << GetParam() << " hashes " << hashes;
  }
  CandidateOptions options;
  const std::vector<AccountPair> pairs =
      candidate_pairs(minhash_signatures(index, eligible, options), eligible, options);
  ASSERT_GT(pairs.size(), 1000u);
  LockstepRule rule;
  const std::vector<PairMatch> got = backend_->lockstep_match_pairs(index, pairs, rule);
  const std::vector<PairMatch> want = verify_pairs(index, pairs, rule);
  ASSERT_EQ(got.size(), want.size());
  for (size_t p = 0; p < got.size(); ++p) {
    ASSERT_EQ(got[p].shared, want[p].shared) << GetParam() << " pair " << p;
    ASSERT_EQ(got[p].matched, want[p].matched) << GetParam() << " pair " << p;
    ASSERT_EQ(got[p].chance, want[p].chance) << GetParam() << " pair " << p;
    ASSERT_EQ(got[p].scale, want[p].scale) << GetParam() << " pair " << p;
    // lgamma/log may differ in the last bits between the host's libm and the device's.
    ASSERT_NEAR(got[p].log10_p, want[p].log10_p, 1e-9 * (1 + std::abs(want[p].log10_p)))
        << GetParam() << " pair " << p;
  }
  SweepConfig config;
  const auto cpu = make_backend(BackendKind::cpu, {});
  EXPECT_EQ(find_campaigns(*backend_, index, config).campaign,
            find_campaigns(*cpu, index, config).campaign)
      << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Backends, LockstepBackend, ::testing::Values("cpu", "cuda"),
                         [](const auto& info) { return info.param; });

TEST(Lockstep, SweepWithActionsAddsCampaignLabelsByAccountId) {
  const std::string dir = test::scratch_dir();
  const Log log = planted_log();
  log.write(dir + "/actions.h5", true);
  // Features for the log's accounts (random: nothing to find there) in another order, plus
  // accounts the log does not have.
  std::vector<int64_t> ids;
  for (const auto& [id, what] : log.truth) ids.push_back(id);
  std::reverse(ids.begin(), ids.end());
  for (int64_t extra = 0; extra < 50; ++extra) ids.push_back(900000 + extra);
  const int64_t rows = static_cast<int64_t>(ids.size());
  {
    H5Writer w(dir + "/features.h5", true);
    const std::vector<float> features = test::random_normal(rows, 16, 5);
    w.write_matrix("/accounts/features", features.data(), rows, 16);
    w.write_int64("/accounts/id", ids);
    w.commit();
  }
  const auto run = test::run_unfriend("-q sweep " + dir + "/features.h5 --actions " + dir +
                                      "/actions.h5 -o " + dir + "/out.h5 --backend cpu");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("lockstep campaigns:    1"), std::string::npos) << run.out;
  H5Reader out(dir + "/out.h5");
  ASSERT_EQ(out.read_int64("/accounts/id"), ids);
  const std::vector<int64_t> campaign = out.read_int64("/labels/campaign");
  ASSERT_EQ(static_cast<int64_t>(campaign.size()), rows);
  int64_t members = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const auto truth = log.truth.find(ids[r]);
    const bool planted = truth != log.truth.end() && truth->second == 2;
    if (!planted) EXPECT_EQ(campaign[r], -1) << "id " << ids[r];
    members += planted && campaign[r] == 0;
  }
  EXPECT_GE(members, 38);
  EXPECT_EQ(out.read_int64("/campaigns/size").size(), 1u);
  // A bad action log stops the sweep before the search, with one line and no output.
  {
    H5Writer w(dir + "/bad.h5", true);
    w.write_int64("/actions/account", {1, 2});
    w.commit();
  }
  const auto bad = test::run_unfriend("-q sweep " + dir + "/features.h5 --actions " + dir +
                                      "/bad.h5 -o " + dir + "/bad-out.h5 --backend cpu");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("missing dataset /actions/target"), std::string::npos) << bad.err;
  EXPECT_FALSE(test::file_exists(dir + "/bad-out.h5"));
}

struct BadLog {
  const char* name;
  std::function<void(H5Writer&)> write;
  const char* message;
};

TEST(Lockstep, BadActionLogsGetOneLineExitTwoAndNoOutput) {
  const std::string dir = test::scratch_dir();
  const std::vector<int64_t> three = {1, 2, 3};
  const std::vector<int64_t> times = {kStart, kStart + 1, kStart + 2};
  const std::vector<BadLog> cases = {
      {"missing", [&](H5Writer& w) { w.write_int64("/actions/account", three); },
       "missing dataset /actions/target"},
      {"lengths",
       [&](H5Writer& w) {
         w.write_int64("/actions/account", three);
         w.write_int64("/actions/target", {1, 2});
         w.write_int64("/actions/time", times);
       },
       "must have equal lengths"},
      {"float",
       [&](H5Writer& w) {
         w.write_int64("/actions/account", three);
         w.write_int64("/actions/target", three);
         w.write_float64("/actions/time", {1.5, 2.5, 3.5});
       },
       "expected integers"},
      {"negative",
       [&](H5Writer& w) {
         w.write_int64("/actions/account", three);
         w.write_int64("/actions/target", three);
         w.write_int64("/actions/time", {kStart, -5, kStart});
       },
       "/actions/time row 1 is -5"},
      {"absurd",
       [&](H5Writer& w) {
         w.write_int64("/actions/account", three);
         w.write_int64("/actions/target", three);
         w.write_int64("/actions/time", {kStart, kStart, int64_t{1} << 50});
       },
       "/actions/time row 2"},
      {"empty",
       [&](H5Writer& w) {
         w.write_int64("/actions/account", {});
         w.write_int64("/actions/target", {});
         w.write_int64("/actions/time", {});
       },
       "empty"},
      {"one_account",
       [&](H5Writer& w) {
         w.write_int64("/actions/account", {5, 5, 5});
         w.write_int64("/actions/target", three);
         w.write_int64("/actions/time", times);
       },
       "only one account"},
  };
  for (const BadLog& c : cases) {
    const std::string in = dir + "/" + c.name + ".h5", out = dir + "/" + c.name + ".out.h5";
    {
      H5Writer w(in, true);
      c.write(w);
      w.commit();
    }
    const auto run = test::run_unfriend("-q lockstep " + in + " -o " + out);
    EXPECT_EQ(run.exit_code, 2) << c.name << ": " << run.err;
    EXPECT_NE(run.err.find(in), std::string::npos) << c.name << ": " << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << c.name << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << c.name << ": " << run.err;
    EXPECT_FALSE(test::file_exists(out)) << c.name;
  }
}

}  // namespace
}  // namespace unfriend
