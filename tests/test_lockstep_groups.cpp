// The group test of lockstep campaigns (host/pipeline/lockstep_groups.h): weak links split into
// communities by label propagation, and a null that the daily rhythm of fans does not fool.
#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <set>

#include "host/io/action_log.h"
#include "host/pipeline/action_index.h"
#include "host/pipeline/lockstep_groups.h"
#include "tests/action_log_fixture.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

constexpr int64_t kStart = 1700006400;  // a midnight (UTC)
constexpr int64_t kDay = 86400;
constexpr int64_t kHour = 3600;

std::vector<std::vector<uint32_t>> undirected(int n, const std::vector<std::pair<int, int>>& e) {
  std::vector<std::vector<uint32_t>> adjacency(static_cast<size_t>(n));
  for (const auto& [a, b] : e) {
    adjacency[a].push_back(static_cast<uint32_t>(b));
    adjacency[b].push_back(static_cast<uint32_t>(a));
  }
  return adjacency;
}

TEST(LabelPropagation, TwoCliquesJoinedByOneLinkStayTwoCommunities) {
  std::vector<std::pair<int, int>> edges;
  for (int base : {0, 6}) {
    for (int a = base; a < base + 6; ++a) {
      for (int b = a + 1; b < base + 6; ++b) edges.emplace_back(a, b);
    }
  }
  edges.emplace_back(5, 6);                      // the bridge
  const auto adjacency = undirected(13, edges);  // node 12 has no link
  const std::vector<uint32_t> label = propagate_labels(adjacency, 3);
  for (int a = 0; a < 6; ++a) EXPECT_EQ(label[a], label[0]) << a;
  for (int a = 6; a < 12; ++a) EXPECT_EQ(label[a], label[6]) << a;
  EXPECT_NE(label[0], label[6]);
  EXPECT_EQ(label[12], 12u);
  EXPECT_EQ(propagate_labels(adjacency, 3), label) << "deterministic";
}

TEST(LabelPropagation, AChainOfCliquesIsNotMergedIntoOne) {
  // Five cliques of 8 in a ring, one link between neighbours: five communities.
  std::vector<std::pair<int, int>> edges;
  for (int c = 0; c < 5; ++c) {
    for (int a = 8 * c; a < 8 * c + 8; ++a) {
      for (int b = a + 1; b < 8 * c + 8; ++b) edges.emplace_back(a, b);
    }
    edges.emplace_back(8 * c + 7, (8 * c + 8) % 40);
  }
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<uint32_t> label = propagate_labels(undirected(40, edges), seed);
    std::set<uint32_t> distinct(label.begin(), label.end());
    EXPECT_EQ(distinct.size(), 5u) << "seed " << seed;
    for (int a = 0; a < 40; ++a) EXPECT_EQ(label[a], label[a / 8 * 8]) << "seed " << seed;
  }
}

struct GroupWorld {
  ActionIndex index;
  std::vector<uint32_t> members;  // dense indices of the accounts with id >= 1000
};

GroupWorld index_of(const test::ActionLogFixture& log) {
  const std::string path = test::scratch_dir() + "/actions.h5";
  log.write(path, true);
  ActionLogReader reader(path);
  GroupWorld w{build_action_index(reader, 4096), {}};
  for (int64_t a = 0; a < w.index.accounts(); ++a) {
    if (w.index.account_ids[a] >= 1000) w.members.push_back(static_cast<uint32_t>(a));
  }
  return w;
}

// A page that posts at 02:00 and in the afternoon, every day; a first viewer (account 1) sees
// every post 30 s after it appears. Fans act on night posts when they wake (07:00 plus their
// own 0-20 minutes), on day posts whenever (2 minutes to 3 hours later): in step every morning,
// through nothing but the daily rhythm.
TEST(LockstepGroupTest, FansMovedTogetherByTheDailyRhythmAreNotACampaign) {
  test::ActionLogFixture log;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<int64_t> published;
  for (int64_t d = 0; d < 30; ++d) {
    published.push_back(kStart + d * kDay + 2 * kHour);
    published.push_back(kStart + d * kDay + 14 * kHour + static_cast<int64_t>(u(rng) * kHour));
  }
  for (size_t p = 0; p < published.size(); ++p) log.add(1, 5000 + p, published[p] + 30, 0);
  for (int64_t f = 0; f < 30; ++f) {
    const int64_t wake = 7 * kHour + static_cast<int64_t>(u(rng) * 1200);
    for (size_t p = 0; p < published.size(); ++p) {
      if (u(rng) > 0.7) continue;
      const bool night = p % 2 == 0;
      const int64_t day_start = published[p] - (published[p] - kStart) % kDay;
      const int64_t t = night ? day_start + wake + static_cast<int64_t>(u(rng) * 60)
                              : published[p] + 120 + static_cast<int64_t>(u(rng) * 3 * kHour);
      log.add(1000 + f, 5000 + p, t, 1);
    }
  }
  const GroupWorld w = index_of(log);
  ASSERT_EQ(w.members.size(), 30u);
  SweepConfig config;
  LockstepRule rule;
  const GroupTest t = test_group(w.index, w.members, config.lockstep, rule, -4.0, 17);
  EXPECT_FALSE(t.passes);
  EXPECT_LT(t.share, config.lockstep.group_min_share);
  // The trap the same-hour null avoids: shuffled over all their slots, the fans look far more
  // in step than chance.
  EXPECT_GE(t.plain_excess, config.lockstep.group_min_excess);
}

// A network whose waves come a different while (10 minutes to 4 hours) after each post, at any
// hour, each member joining 60% of them within two minutes of the wave: a campaign.
TEST(LockstepGroupTest, WavesAtTheirOwnTimesAreACampaign) {
  test::ActionLogFixture log;
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(0, 1);
  for (int p = 0; p < 60; ++p) {
    const int64_t posted = kStart + static_cast<int64_t>(u(rng) * 30 * kDay);
    log.add(1, 5000 + p, posted + 30, 0);
    const int64_t wave = posted + 600 + static_cast<int64_t>(u(rng) * 4 * kHour);
    for (int64_t m = 0; m < 30; ++m) {
      if (u(rng) < 0.6) log.add(1000 + m, 5000 + p, wave + static_cast<int64_t>(u(rng) * 120), 4);
    }
  }
  const GroupWorld w = index_of(log);
  SweepConfig config;
  LockstepRule rule;
  const GroupTest t = test_group(w.index, w.members, config.lockstep, rule, -4.0, 17);
  EXPECT_TRUE(t.passes);
  EXPECT_GE(t.share, config.lockstep.group_min_share);
  EXPECT_GT(t.members_above, 25);
}

// Two cells of one campaign act on the same 12 posts six hours apart; a third group acts on
// other posts. The cells are joined, the third is not.
TEST(LockstepGroupTest, CellsActingOnTheSamePostsAreJoined) {
  test::ActionLogFixture log;
  for (int p = 0; p < 12; ++p) {
    const int64_t posted = kStart + p * kDay;
    for (int64_t m = 0; m < 10; ++m) {
      log.add(1000 + m, 5000 + p, posted + 600 + m, 4);
      log.add(2000 + m, 5000 + p, posted + 6 * kHour + m, 4);
      log.add(3000 + m, 6000 + p, posted + 600 + m, 4);
    }
  }
  // Every other account acts on half of the first cells' posts only: no majority.
  for (int p = 0; p < 12; ++p) log.add(4000 + p % 3, 5000 + p % 5, kStart + p, 1);
  const GroupWorld w = index_of(log);
  std::vector<std::vector<uint32_t>> communities(3);
  for (int64_t a = 0; a < w.index.accounts(); ++a) {
    const int64_t id = w.index.account_ids[a];
    if (id >= 1000 && id < 4000) communities[id / 1000 - 1].push_back(static_cast<uint32_t>(a));
  }
  const auto joined = cells_of_one_campaign(w.index, communities);
  ASSERT_EQ(joined.size(), 2u);
  EXPECT_EQ(joined[0], (std::vector<size_t>{0, 1}));
  EXPECT_EQ(joined[1], (std::vector<size_t>{2}));
}

}  // namespace
}  // namespace unfriend
