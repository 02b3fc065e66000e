// Decisions (protected and cleared accounts, the review queue) and scheduled runs (stable ids
// carried over from --previous, the diff): the rules on hand-made labels, then the CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "host/core/error.h"
#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "host/pipeline/decisions.h"
#include "host/pipeline/stable_ids.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

using test::run_unfriend;
std::string quote(const std::string& s) { return "'" + s + "'"; }

std::vector<int64_t> iota_ids(size_t n) {
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = 1000 + static_cast<int64_t>(i);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Stable ids

TEST(StableIds, TheSameLabelsKeepEveryId) {
  const auto ids = iota_ids(8);
  const std::vector<int64_t> label = {0, 0, 0, 1, 1, 1, -1, -1};
  const StableIds s = match_groups(ids, label, 2, ids, label, 2);
  EXPECT_EQ(s.id, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(s.changes[0].change, "same");
  EXPECT_EQ(s.changes[1].change, "same");
  EXPECT_TRUE(s.vanished.empty());
  EXPECT_EQ(s.is_new, (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(s.next_id, 2);
}

TEST(StableIds, RankChangesDoNotChangeIds) {
  // The previous group 7 (rows 0-3) is now ranked second, the previous 3 (rows 4-6) first.
  const auto ids = iota_ids(8);
  const std::vector<int64_t> before = {7, 7, 7, 7, 3, 3, 3, -1};
  const std::vector<int64_t> now = {1, 1, 1, -1, 0, 0, 0, 0};
  const StableIds s = match_groups(ids, now, 2, ids, before, 9);
  EXPECT_EQ(s.id, (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(s.changes[0].change, "grew");
  EXPECT_EQ(s.changes[1].change, "shrank");
  EXPECT_EQ(s.next_id, 9);
}

TEST(StableIds, NewGroupsGetIdsNeverUsedBefore) {
  const auto ids = iota_ids(6);
  const std::vector<int64_t> before = {0, 0, 0, -1, -1, -1};
  const std::vector<int64_t> now = {-1, -1, -1, 0, 0, 0};  // a different set of accounts
  // The previous run had used ids up to 41 (next 42), though only group 0 is in its labels.
  const StableIds s = match_groups(ids, now, 1, ids, before, 42);
  EXPECT_EQ(s.id, (std::vector<int64_t>{42}));
  EXPECT_EQ(s.changes[0].change, "new");
  EXPECT_EQ(s.is_new[0], 1);
  ASSERT_EQ(s.vanished.size(), 1u);
  EXPECT_EQ(s.vanished[0].change, "dissolved");
  EXPECT_EQ(s.next_id, 43);
}

TEST(StableIds, MergeKeepsTheLargerIdAndSplitGivesNewOnes) {
  const auto ids = iota_ids(14);
  // Before: group 5 (rows 0-3), group 6 (rows 4-6), group 8 (rows 7-12, six accounts).
  const std::vector<int64_t> before = {5, 5, 5, 5, 6, 6, 6, 8, 8, 8, 8, 8, 8, -1};
  // Now: 5 and 6 merged into rank 0; 8 split two, two and two over ranks 1, 2 and 3.
  const std::vector<int64_t> now = {0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, -1};
  const StableIds s = match_groups(ids, now, 4, ids, before, 9);
  EXPECT_EQ(s.id[0], 5);
  EXPECT_EQ(s.changes[0].change, "merged");
  EXPECT_EQ(s.changes[0].merged_from, (std::vector<int64_t>{6}));
  EXPECT_EQ(s.id[1], 9);
  EXPECT_EQ(s.id[2], 10);
  EXPECT_EQ(s.id[3], 11);
  std::map<int64_t, std::string> vanished;
  for (const auto& v : s.vanished) vanished[v.previous_id] = v.change;
  EXPECT_EQ(vanished[6], "merged");
  EXPECT_EQ(vanished[8], "split");
  const auto diff = diff_json("cluster", s);
  EXPECT_EQ(diff["counts"]["merged"], 2);  // one group merged, one merged into it
  EXPECT_EQ(diff["counts"]["new"], 3);
  EXPECT_EQ(diff["counts"]["split"], 1);
}

TEST(StableIds, AccountsMatchedByIdNotByRow) {
  // The same groups with the rows in another order (and one account gone).
  const std::vector<int64_t> ids_before = {10, 11, 12, 13, 14, 15};
  const std::vector<int64_t> before = {0, 0, 0, 1, 1, 1};
  const std::vector<int64_t> ids_now = {15, 14, 12, 11, 10};
  const std::vector<int64_t> now = {0, 0, 1, 1, 1};
  const StableIds s = match_groups(ids_now, now, 2, ids_before, before, 2);
  EXPECT_EQ(s.id, (std::vector<int64_t>{1, 0}));
}

// ---------------------------------------------------------------------------------------------
// Decisions

TEST(Decisions, ProtectedAccountsAreNeverFlaggedAndHoldTheirGroup) {
  const auto ids = iota_ids(9);
  const std::vector<int64_t> cluster = {0, 0, 0, 1, 1, 1, -1, -1, -1};
  const std::vector<int64_t> dup = {-1, -1, -1, -1, -1, 0, 0, -1, -1};
  const Decisions d =
      decide_accounts(ids, {{"cluster", &cluster, nullptr}, {"dup_group", &dup, nullptr}},
                      /*protected=*/{1001, 1007}, /*cleared=*/{});
  // Cluster 0 holds protected 1001: held whole. Cluster 1 and dup 0 are flagged. 1007 is in no
  // group: nothing to decide.
  EXPECT_EQ(d.decision, (std::vector<int8_t>{2, 2, 2, 1, 1, 1, 1, 0, 0}));
  ASSERT_EQ(d.review_queue.size(), 1u);
  EXPECT_EQ(d.review_queue[0].kind, "cluster");
  EXPECT_EQ(d.review_queue[0].id, 0);
  EXPECT_EQ(d.review_queue[0].size, 3);
  EXPECT_EQ(d.review_queue[0].protected_members, 1);
  EXPECT_EQ(d.protected_found, 2);
  EXPECT_EQ(d.protected_in_evidence, 1);
  EXPECT_EQ(d.flagged, 4);
  EXPECT_EQ(d.held, 3);
}

TEST(Decisions, AGroupHeldByOneKindHoldsMembersFlaggedByAnother) {
  const auto ids = iota_ids(5);
  const std::vector<int64_t> cluster = {0, 0, 0, 0, -1};
  const std::vector<int64_t> campaign = {-1, -1, -1, 0, 0};
  const Decisions d = decide_accounts(
      ids, {{"cluster", &cluster, nullptr}, {"campaign", &campaign, nullptr}}, {1000}, {});
  // Row 3 is in the held cluster and in campaign 0: held. Row 4 only in the campaign: flagged.
  EXPECT_EQ(d.decision, (std::vector<int8_t>{2, 2, 2, 2, 1}));
}

TEST(Decisions, ClearedAccountsAreHeldUnlessTheyJoinANewGroup) {
  const auto ids = iota_ids(6);
  const std::vector<int64_t> cluster = {0, 0, 0, 1, 1, 1};
  const std::vector<uint8_t> is_new = {0, 1};  // cluster 0 persisted, cluster 1 is new
  const Decisions d =
      decide_accounts(ids, {{"cluster", &cluster, &is_new}}, {}, /*cleared=*/{1000, 1003});
  EXPECT_EQ(d.decision, (std::vector<int8_t>{2, 2, 2, 1, 1, 1}));
  // Without a history nothing is known to be new: both are held.
  const Decisions e = decide_accounts(ids, {{"cluster", &cluster, nullptr}}, {}, {1000, 1003});
  EXPECT_EQ(e.decision, (std::vector<int8_t>{2, 2, 2, 2, 2, 2}));
  // A protected account is held even in a new group.
  const Decisions f = decide_accounts(ids, {{"cluster", &cluster, &is_new}}, {1004}, {});
  EXPECT_EQ(f.decision, (std::vector<int8_t>{1, 1, 1, 2, 2, 2}));
}

TEST(Decisions, AccountListsSkipCommentsAndNameTheBadLine) {
  const std::string dir = test::scratch_dir();
  const std::string good = dir + "/good.txt", bad = dir + "/bad.txt";
  std::ofstream(good) << "# journalists\n 42 \n\n7\n42\r\n-3\n";
  EXPECT_EQ(read_account_list(good), (std::vector<int64_t>{-3, 7, 42}));
  std::ofstream(bad) << "1\n2\nabc\n";
  try {
    read_account_list(bad);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_account_list(dir + "/missing.txt"), InputError);
}

// ---------------------------------------------------------------------------------------------
// The CLI

class ScheduledCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir();
    data_ = dir_ + "/synth.h5";
    auto r = run_unfriend("-q synth -o " + quote(data_) + " --rows 12000 --dims 24 --seed 5");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  test::CommandResult sweep(const std::string& input, const std::string& out,
                            const std::string& extra = "") {
    return run_unfriend("-q sweep " + quote(input) + " -o " + quote(out) +
                        " --backend cpu --no-checkpoint --json " + extra);
  }
  std::string dir_, data_;
};

std::vector<int64_t> read_labels(const std::string& path, const std::string& dataset) {
  return H5Reader(path).read_int64(dataset);
}

TEST_F(ScheduledCli, PreviousOfItsOwnResultKeepsEveryId) {
  const std::string first = dir_ + "/first.h5", second = dir_ + "/second.h5";
  ASSERT_EQ(sweep(data_, first).exit_code, 0);
  auto r = sweep(data_, second, "--previous " + quote(first));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* d : {"/labels/cluster", "/labels/dup_group", "/clusters/id", "/dup_groups/id"}) {
    EXPECT_EQ(read_labels(first, d), read_labels(second, d)) << d;
  }
  const auto summary = nlohmann::json::parse(r.out);
  ASSERT_TRUE(summary.contains("diff"));
  EXPECT_EQ(summary["diff"]["newly_flagged"], 0);
  EXPECT_EQ(summary["diff"]["no_longer_flagged"], 0);
  for (auto& g : summary["diff"]["groups"]) EXPECT_EQ(g["change"], "same") << g.dump();
  EXPECT_TRUE(summary["diff"]["dissolved"].empty());
  EXPECT_GT(read_labels(first, "/clusters/id").size(), 3u);
}

TEST_F(ScheduledCli, AfterRemovingFivePercentSurvivingGroupsKeepTheirIds) {
  const std::string first = dir_ + "/first.h5", second = dir_ + "/second.h5";
  ASSERT_EQ(sweep(data_, first).exit_code, 0);
  // 95% of the rows, chosen at random, in a new file.
  const std::string fewer = dir_ + "/fewer.h5";
  {
    H5Reader in(data_);
    const auto shape = in.shape("/accounts/features");
    const auto features = in.read_float32("/accounts/features");
    const auto ids = in.read_int64("/accounts/id");
    std::vector<int64_t> rows(ids.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
    std::mt19937_64 rng(9);
    std::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(rows.size() * 95 / 100);
    std::sort(rows.begin(), rows.end());
    std::vector<float> kept;
    std::vector<int64_t> kept_ids;
    for (int64_t r : rows) {
      kept.insert(kept.end(), features.begin() + r * shape[1],
                  features.begin() + (r + 1) * shape[1]);
      kept_ids.push_back(ids[static_cast<size_t>(r)]);
    }
    H5Writer out(fewer, true);
    out.write_matrix("/accounts/features", kept.data(), static_cast<int64_t>(rows.size()),
                     shape[1]);
    out.write_int64("/accounts/id", kept_ids);
    out.commit();
  }
  ASSERT_EQ(sweep(fewer, second, "--previous " + quote(first)).exit_code, 0);
  const auto ids_before = read_labels(first, "/accounts/id"),
             ids_now = read_labels(second, "/accounts/id");
  for (const char* dataset : {"/labels/cluster", "/labels/dup_group"}) {
    const auto before = read_labels(first, dataset), now = read_labels(second, dataset);
    std::map<int64_t, int64_t> now_of;
    for (size_t i = 0; i < ids_now.size(); ++i) now_of[ids_now[i]] = now[i];
    std::map<int64_t, std::vector<int64_t>> members;
    for (size_t i = 0; i < ids_before.size(); ++i) {
      if (before[i] >= 0) members[before[i]].push_back(ids_before[i]);
    }
    int surviving = 0, kept_id = 0;
    for (const auto& [group, accounts] : members) {
      std::map<int64_t, int64_t> together;
      for (int64_t a : accounts) {
        const auto it = now_of.find(a);
        if (it != now_of.end() && it->second >= 0) ++together[it->second];
      }
      int64_t best = -1, best_count = 0;
      for (const auto& [g, c] : together) {
        if (c > best_count) best = g, best_count = c;
      }
      if (2 * best_count < static_cast<int64_t>(accounts.size())) continue;  // did not survive
      ++surviving;
      kept_id += best == group;
    }
    ASSERT_GT(surviving, 3) << dataset;
    EXPECT_GE(kept_id, 0.9 * surviving) << dataset << ": " << kept_id << " of " << surviving;
  }
}

TEST_F(ScheduledCli, ProtectedAccountsAreHeldNeverFlagged) {
  const std::string first = dir_ + "/first.h5", second = dir_ + "/second.h5";
  ASSERT_EQ(sweep(data_, first).exit_code, 0);
  const auto ids = read_labels(first, "/accounts/id");
  const auto cluster = read_labels(first, "/labels/cluster");
  // Protect one member of every third cluster, and one unflagged account.
  std::set<int64_t> protect;
  std::set<int64_t> seen;
  int64_t unflagged = -1;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (cluster[i] >= 0 && cluster[i] % 3 == 0 && seen.insert(cluster[i]).second)
      protect.insert(ids[i]);
    if (cluster[i] < 0 && unflagged < 0) unflagged = ids[i];
  }
  protect.insert(unflagged);
  const std::string list = dir_ + "/protect.txt";
  {
    std::ofstream out(list);
    for (int64_t id : protect) out << id << "\n";
  }
  auto r = sweep(data_, second, "--protect " + quote(list));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto decision = read_labels(second, "/labels/decision");
  const auto cluster_now = read_labels(second, "/labels/cluster");
  const auto dup_now = read_labels(second, "/labels/dup_group");
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool evidence = cluster_now[i] >= 0 || dup_now[i] >= 0;
    if (protect.count(ids[i])) EXPECT_NE(decision[i], 1) << "protected " << ids[i];
    if (!evidence) EXPECT_EQ(decision[i], 0);
    // Every member of a cluster holding a protected account is held.
    if (cluster_now[i] >= 0 && seen.count(cluster_now[i])) EXPECT_EQ(decision[i], 2) << ids[i];
    if (cluster_now[i] >= 0 && !seen.count(cluster_now[i]) && dup_now[i] < 0)
      EXPECT_EQ(decision[i], 1);
  }
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["decisions"]["review_groups"].get<int64_t>(),
            static_cast<int64_t>(read_labels(second, "/review/id").size()));
  EXPECT_GE(summary["decisions"]["review_groups"].get<size_t>(), seen.size());
  EXPECT_EQ(summary["decisions"]["protected_in_input"], protect.size());
}

TEST_F(ScheduledCli, BadListsAndPreviousFilesAreOneLineErrors) {
  const std::string out = dir_ + "/out.h5";
  const std::string bad = dir_ + "/bad.txt";
  std::ofstream(bad) << "12\nnot-an-id\n";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"--protect " + quote(bad), {bad, "line 2"}},
      {"--cleared " + quote(bad), {bad, "line 2"}},
      {"--previous " + quote(bad), {bad}},
      {"--previous " + quote(data_), {data_, "not a sweep result"}},  // features, not a result
      {"--protect " + quote(dir_ + "/missing.txt"), {dir_ + "/missing.txt"}}};
  for (const auto& [extra, words] : cases) {
    auto r = sweep(data_, out, extra);
    EXPECT_EQ(r.exit_code, 2) << extra << "\n" << r.err;
    for (const std::string& w : words) EXPECT_NE(r.err.find(w), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(test::file_exists(out)) << extra;
  }
}

}  // namespace
}  // namespace unfriend
