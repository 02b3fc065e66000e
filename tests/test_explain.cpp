// `unfriend explain` agrees with the labels: every flagged account's evidence crosses the
// recorded thresholds, every unflagged account is told which threshold it missed.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "host/report/explain.h"
#include "host/report/result_file.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

using test::run_unfriend;
std::string quote(const std::string& s) { return "'" + s + "'"; }

class Explain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test::scratch_dir());
    data_ = *dir_ + "/synth.h5";
    ASSERT_EQ(
        run_unfriend("-q synth -o " + quote(data_) + " --rows 8000 --dims 24 --seed 8").exit_code,
        0);
    // A strict configuration rejects some density clusters, so that both kinds of account and
    // every rejection show up.
    strict_config_ = *dir_ + "/strict.toml";
    std::ofstream(strict_config_)
        << "[clusters]\nmin_tightness = 3.0\nmin_cohesion = 0.9\nmin_size = 30\n";
    for (const std::string& cfg : {std::string(), strict_config_}) {
      const std::string out = *dir_ + (cfg.empty() ? "/default.h5" : "/strict.h5");
      auto r = run_unfriend("-q sweep " + quote(data_) + " -o " + quote(out) +
                            " --backend cpu --no-checkpoint" +
                            (cfg.empty() ? "" : " --config " + quote(cfg)));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static std::string* dir_;
  static std::string data_, strict_config_;
};
std::string* Explain::dir_ = nullptr;
std::string Explain::data_, Explain::strict_config_;

bool crosses(const nlohmann::json& t) {
  if (!t.contains("rule") || !t["value"].is_number()) return t["passed"].get<bool>();
  const double v = t["value"].get<double>(), th = t["threshold"].get<double>();
  return t["rule"] == "<=" ? v <= th : v >= th;
}

void check_every_account(const std::string& path, int* flagged_seen, int* missed_kinds) {
  const ResultFile result = read_result_file(path);
  std::set<std::string> kinds;
  for (size_t row = 0; row < result.accounts(); ++row) {
    ExplainRequest request;
    request.account = result.account_id[row];
    const nlohmann::json e = explain_account(result, request);
    const bool flagged = result.cluster[row] >= 0 || result.dup_group[row] >= 0;
    ASSERT_EQ(e["decision"] == "not flagged", !flagged) << e.dump();
    if (flagged) {
      ++*flagged_seen;
      EXPECT_FALSE(e["groups"].empty()) << e.dump();
      for (const auto& t : e["tests"]) {
        EXPECT_TRUE(t["passed"].get<bool>()) << e.dump();
        EXPECT_TRUE(crosses(t)) << t.dump();
      }
      if (result.cluster[row] >= 0) EXPECT_GE(e["tests"].size(), 3u) << e.dump();
    } else {
      ASSERT_FALSE(e["missed"].empty()) << e.dump();
    }
    // What kept it out of the other kinds of group (for a flagged account too).
    for (const auto& t : e["missed"]) {
      EXPECT_FALSE(t["passed"].get<bool>()) << t.dump();
      if (t.contains("rule") && t["value"].is_number()) EXPECT_FALSE(crosses(t)) << t.dump();
      kinds.insert(t["test"].get<std::string>());
    }
  }
  *missed_kinds = static_cast<int>(kinds.size());
}

TEST_F(Explain, AgreesWithTheLabelsForEveryAccount) {
  int flagged = 0, kinds = 0;
  check_every_account(*dir_ + "/default.h5", &flagged, &kinds);
  EXPECT_GT(flagged, 100);
  flagged = 0;
  check_every_account(*dir_ + "/strict.h5", &flagged, &kinds);
  // Core distance, duplicates, and at least one rejected density group's test.
  EXPECT_GE(kinds, 3);
}

TEST_F(Explain, RejectedDensityGroupsSayWhichTestFailed) {
  const std::string path = *dir_ + "/strict.h5";
  const ResultFile result = read_result_file(path);
  H5Reader file(path);
  const auto candidate = file.read_int64("/labels/candidate");
  const auto outcome = file.read_strings("/candidates/outcome");
  int checked = 0;
  for (size_t row = 0; row < result.accounts() && checked < 200; ++row) {
    if (candidate[row] < 0 || result.cluster[row] >= 0) continue;
    const std::string why = outcome[static_cast<size_t>(candidate[row])];
    ExplainRequest request;
    request.account = result.account_id[row];
    const auto e = explain_account(result, request);
    const std::string test = e["missed"][0]["test"].get<std::string>();
    const std::string expected = why == "too_small"     ? "size"
                                 : why == "not_tighter" ? "tightness"
                                                        : "cohesion";
    EXPECT_NE(test.find(expected), std::string::npos) << why << ": " << e.dump();
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST_F(Explain, CliTextJsonInputDetailAndUnknownIds) {
  const std::string path = *dir_ + "/default.h5";
  const ResultFile result = read_result_file(path);
  int64_t dup_member = -1;
  for (size_t row = 0; row < result.accounts() && dup_member < 0; ++row) {
    if (result.dup_group[row] >= 0) dup_member = result.account_id[row];
  }
  ASSERT_GE(dup_member, 0);
  auto r = run_unfriend("explain " + quote(path) + " --account " + std::to_string(dup_member) +
                        " --input " + quote(data_) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto e = nlohmann::json::parse(r.out);
  ASSERT_FALSE(e["nearest"].empty());
  EXPECT_TRUE(e["nearest"][0]["same_dup_group"].get<bool>()) << e.dump();
  EXPECT_FALSE(e["alike_features"].empty());
  ASSERT_FALSE(e["nearest_members"].empty());
  EXPECT_GE(e["nearest_members"][0]["similarity"].get<double>(),
            e["thresholds"]["duplicate_similarity"].get<double>());
  // Without the input, a cluster member's alike features come from the recorded profile.
  int64_t cluster_member = -1;
  for (size_t row = 0; row < result.accounts() && cluster_member < 0; ++row) {
    if (result.cluster[row] >= 0) cluster_member = result.account_id[row];
  }
  ASSERT_GE(cluster_member, 0);
  ASSERT_FALSE(result.clusters.feature_spread.empty());
  EXPECT_EQ(result.clusters.feature_columns, 24u);
  ExplainRequest recorded;
  recorded.account = cluster_member;
  EXPECT_FALSE(explain_account(result, recorded)["alike_features"].empty());
  r = run_unfriend("explain " + quote(path) + " --account " + std::to_string(dup_member));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("flagged"), std::string::npos);
  EXPECT_NE(r.out.find("[passed]"), std::string::npos);
  r = run_unfriend("explain " + quote(path) + " --account 123456789");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path), std::string::npos);
  EXPECT_NE(r.err.find("123456789"), std::string::npos);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = run_unfriend("explain " + quote(*dir_ + "/missing.h5") + " --account 1");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(ExplainCampaigns, SharedActionsOfACampaignMember) {
  // Features with the ids of an action-log world, swept with the log.
  const std::string dir = test::scratch_dir();
  const std::string actions = dir + "/actions.h5", raw = dir + "/raw.h5", features = dir + "/f.h5",
                    out = dir + "/out.h5";
  ASSERT_EQ(
      run_unfriend("-q synth --actions -o " + quote(actions) + " --rows 4000 --seed 4").exit_code,
      0);
  ASSERT_EQ(run_unfriend("-q synth -o " + quote(raw) + " --rows 4000 --dims 16 --seed 6").exit_code,
            0);
  {
    const H5Reader in(raw), log(actions);
    const auto values = in.read_float32("/accounts/features");
    const auto shape = in.shape("/accounts/features");
    H5Writer w(features, true);
    w.write_matrix("/accounts/features", values.data(), shape[0], shape[1]);
    w.write_int64("/accounts/id", log.read_int64("/truth/account"));
    w.commit();
  }
  auto r = run_unfriend("-q sweep " + quote(features) + " --actions " + quote(actions) + " -o " +
                        quote(out) + " --backend cpu --no-checkpoint");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const ResultFile result = read_result_file(out);
  int64_t member = -1;
  for (size_t row = 0; row < result.accounts() && member < 0; ++row) {
    if (result.campaign[row] >= 0) member = result.account_id[row];
  }
  ASSERT_GE(member, 0) << "no campaign found";
  r = run_unfriend("explain " + quote(out) + " --account " + std::to_string(member) +
                   " --actions " + quote(actions) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto e = nlohmann::json::parse(r.out);
  bool found = false;
  for (const auto& g : e["groups"]) {
    if (g["kind"] != "campaign") continue;
    found = true;
    ASSERT_FALSE(g["shared_actions"].empty()) << g.dump();
    EXPECT_GT(g["shared_actions"][0]["members_acting"].get<int64_t>(), 0) << g.dump();
    EXPECT_GE(g["shared_actions"][0]["delay_after_first_member_s"].get<int64_t>(), 0);
  }
  EXPECT_TRUE(found) << e.dump();
  for (const auto& t : e["tests"]) EXPECT_TRUE(t["passed"].get<bool>()) << t.dump();
}

}  // namespace
}  // namespace unfriend
