// The action-log generator (`unfriend synth --actions`): determinism, the file it writes, the
// truth it plants, and the behaviour a lockstep detector is tuned on: campaigns act within
// minutes of each other, their cells hours apart, while fan bases spread over hours and viral
// bursts gather thousands of unrelated genuine accounts.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "host/core/error.h"
#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "host/synth/action_synth.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;

ActionSynthParams small_params(int64_t rows, uint64_t seed, ActionSetting setting,
                               int threads = 0) {
  ActionSynthParams p = action_synth_params(setting);
  p.rows = rows;
  p.seed = seed;
  p.threads = threads;
  return p;
}

bool is_campaign(int32_t kind) {
  return kind == static_cast<int32_t>(AccountKind::click_farm) ||
         kind == static_cast<int32_t>(AccountKind::mass_report);
}

// Median of the pairwise |t_i - t_j| of a group (up to 64 of its times, evenly picked).
double median_pairwise_spread(std::vector<int64_t> times) {
  if (times.size() > 64) {
    std::vector<int64_t> picked;
    for (size_t k = 0; k < 64; ++k) picked.push_back(times[k * times.size() / 64]);
    times.swap(picked);
  }
  std::vector<int64_t> gaps;
  for (size_t i = 0; i < times.size(); ++i) {
    for (size_t j = i + 1; j < times.size(); ++j) gaps.push_back(std::llabs(times[i] - times[j]));
  }
  if (gaps.empty()) return 0;
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  return static_cast<double>(gaps[gaps.size() / 2]);
}

double median(std::vector<double> values) {
  if (values.empty()) return std::nan("");
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

// The log seen per account: truth row of every action.
struct Indexed {
  const ActionLog& log;
  std::vector<size_t> row;  // per action: the truth row of its account
  explicit Indexed(const ActionLog& l) : log(l) {
    std::unordered_map<int64_t, size_t> by_id;
    for (size_t r = 0; r < l.truth.account.size(); ++r) by_id[l.truth.account[r]] = r;
    row.resize(l.actions.account.size());
    for (size_t k = 0; k < row.size(); ++k) {
      auto it = by_id.find(l.actions.account[k]);
      row[k] = it == by_id.end() ? SIZE_MAX : it->second;
    }
  }
};

struct Wave {
  int64_t target;
  int32_t kind;
  int32_t cell;
  bool operator<(const Wave& o) const {
    return std::tie(target, kind, cell) < std::tie(o.target, o.kind, o.cell);
  }
};

// Per group (campaign or fan base): the action times of its members per (target, kind, cell),
// for non-view actions only (a campaign's work; a fan's like).
std::map<int64_t, std::map<Wave, std::vector<int64_t>>> waves_by_group(const Indexed& x,
                                                                       bool campaigns,
                                                                       bool split_cells) {
  std::map<int64_t, std::map<Wave, std::vector<int64_t>>> out;
  const ActionLog& log = x.log;
  for (size_t k = 0; k < x.row.size(); ++k) {
    const size_t r = x.row[k];
    if (log.actions.kind[k] == static_cast<int32_t>(ActionKind::view)) continue;
    const int64_t group = campaigns ? log.truth.campaign[r] : log.truth.community[r];
    if (group < 0) continue;
    if (!campaigns && log.actions.kind[k] != static_cast<int32_t>(ActionKind::like)) continue;
    const int32_t cell = split_cells ? log.truth.cell[r] : 0;
    out[group][{log.actions.target[k], log.actions.kind[k], cell}].push_back(log.actions.time[k]);
  }
  return out;
}

// Members per (group, cell): campaigns by cell, fan bases as one cell 0.
std::map<std::pair<int64_t, int32_t>, int64_t> cell_members(const ActionLog& log, bool campaigns) {
  std::map<std::pair<int64_t, int32_t>, int64_t> out;
  for (size_t r = 0; r < log.truth.account.size(); ++r) {
    const int64_t group = campaigns ? log.truth.campaign[r] : log.truth.community[r];
    if (group >= 0) ++out[{group, campaigns ? log.truth.cell[r] : 0}];
  }
  return out;
}

// The waves of a group: (target, kind, cell) where at least `share` of the cell's members (and
// 3) acted. Ordinary visits of many members to one popular post stay below that.
std::map<int64_t, std::map<Wave, std::vector<int64_t>>> busy_waves(const Indexed& x, bool campaigns,
                                                                   double share) {
  const auto members = cell_members(x.log, campaigns);
  auto groups = waves_by_group(x, campaigns, campaigns);
  for (auto& [group, waves] : groups) {
    for (auto it = waves.begin(); it != waves.end();) {
      const double needed =
          std::max(3.0, share * static_cast<double>(members.at({group, it->first.cell})));
      it = static_cast<double>(it->second.size()) < needed ? waves.erase(it) : std::next(it);
    }
  }
  return groups;
}

// Per group, the median over its waves of their median pairwise spread.
std::map<int64_t, double> group_spreads(
    const std::map<int64_t, std::map<Wave, std::vector<int64_t>>>& groups) {
  std::map<int64_t, double> out;
  for (const auto& [group, waves] : groups) {
    std::vector<double> spreads;
    for (const auto& [wave, times] : waves) spreads.push_back(median_pairwise_spread(times));
    if (!spreads.empty()) out[group] = median(spreads);
  }
  return out;
}

// A mass-reporting network's camouflage: the share of its members' actions that are neither a
// report nor the view just before one (genuine visits rarely report).
double camouflage_share(const Indexed& x, int64_t network) {
  const ActionColumns& a = x.log.actions;
  std::map<std::pair<int64_t, int64_t>, std::vector<int64_t>> reports;  // (account, target)
  std::vector<size_t> mine;
  for (size_t k = 0; k < x.row.size(); ++k) {
    if (x.log.truth.campaign[x.row[k]] != network) continue;
    mine.push_back(k);
    if (a.kind[k] == static_cast<int32_t>(ActionKind::report)) {
      reports[{a.account[k], a.target[k]}].push_back(a.time[k]);
    }
  }
  int64_t work = 0;
  for (size_t k : mine) {
    if (a.kind[k] == static_cast<int32_t>(ActionKind::report)) {
      ++work;
    } else if (a.kind[k] == static_cast<int32_t>(ActionKind::view)) {
      auto it = reports.find({a.account[k], a.target[k]});
      if (it == reports.end()) continue;
      for (int64_t t : it->second) {
        if (t >= a.time[k] && t - a.time[k] <= 91) {
          ++work;
          break;
        }
      }
    }
  }
  return mine.empty() ? 0 : 1 - static_cast<double>(work) / static_cast<double>(mine.size());
}

class ActionWorlds : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    standard_ = new ActionLog(generate_action_log(small_params(50000, 3, ActionSetting::standard)));
    hard_ = new ActionLog(generate_action_log(small_params(50000, 3, ActionSetting::hard)));
  }
  static void TearDownTestSuite() {
    delete standard_;
    delete hard_;
  }
  static const ActionLog& standard() { return *standard_; }
  static const ActionLog& hard() { return *hard_; }
  static ActionLog* standard_;
  static ActionLog* hard_;
};
ActionLog* ActionWorlds::standard_ = nullptr;
ActionLog* ActionWorlds::hard_ = nullptr;

// ---------------------------------------------------------------------------------------------
// Determinism and the file

void expect_same_log(const ActionLog& a, const ActionLog& b) {
  EXPECT_EQ(a.actions.account, b.actions.account);
  EXPECT_EQ(a.actions.target, b.actions.target);
  EXPECT_EQ(a.actions.time, b.actions.time);
  EXPECT_EQ(a.actions.kind, b.actions.kind);
  EXPECT_EQ(a.truth.account, b.truth.account);
  EXPECT_EQ(a.truth.kind, b.truth.kind);
  EXPECT_EQ(a.truth.campaign, b.truth.campaign);
  EXPECT_EQ(a.truth.community, b.truth.community);
  EXPECT_EQ(a.truth.cell, b.truth.cell);
}

TEST(ActionSynth, SameSeedSameBytesAtAnyThreadCount) {
  const std::string dir = test::scratch_dir();
  const ActionLog one = generate_action_log(small_params(20000, 11, ActionSetting::hard, 1));
  const ActionLog three = generate_action_log(small_params(20000, 11, ActionSetting::hard, 3));
  expect_same_log(one, three);
  write_action_log(dir + "/one.h5", one);
  write_action_log(dir + "/three.h5", three);
  const std::string bytes = test::read_bytes(dir + "/one.h5");
  EXPECT_GT(bytes.size(), 1000u);
  EXPECT_TRUE(bytes == test::read_bytes(dir + "/three.h5")) << "files differ";

  const ActionLog other = generate_action_log(small_params(20000, 12, ActionSetting::hard, 1));
  EXPECT_NE(one.actions.time, other.actions.time);
  EXPECT_NE(one.truth.account, other.truth.account);
  const ActionLog standard =
      generate_action_log(small_params(20000, 11, ActionSetting::standard, 1));
  EXPECT_NE(one.actions.time, standard.actions.time);
}

// The chunked vector writes the log needs: round trip, chunk extent, short and empty vectors.
TEST(ActionSynthFile, ChunkedIntegerVectorsRoundTrip) {
  const std::string path = test::scratch_dir() + "/chunked.h5";
  std::vector<int64_t> wide(1000);
  std::vector<int32_t> narrow(1000);
  for (size_t i = 0; i < wide.size(); ++i) {
    wide[i] = static_cast<int64_t>(i) * 3000000000LL - 7;
    narrow[i] = static_cast<int32_t>(i) - 500;
  }
  {
    H5Writer writer(path, false);
    writer.write_int64("/a/wide", wide, 64);
    writer.write_int32("/a/narrow", narrow, 64);
    writer.write_int64("/a/short", {1, 2, 3}, 64);  // the chunk shrinks to the data
    writer.write_int32("/a/empty", {}, 64);
    writer.commit();
  }
  H5Reader reader(path);
  EXPECT_EQ(reader.read_int64("/a/wide"), wide);
  const std::vector<int64_t> back = reader.read_int64("/a/narrow");
  EXPECT_EQ(std::vector<int32_t>(back.begin(), back.end()), narrow);
  EXPECT_EQ(reader.read_int64("/a/short"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_TRUE(reader.read_int64("/a/empty").empty());

  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  auto chunk_of = [&](const char* name) {
    hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t plist = H5Dget_create_plist(dataset);
    hsize_t chunk = 0;
    if (H5Pget_layout(plist) == H5D_CHUNKED) H5Pget_chunk(plist, 1, &chunk);
    H5Pclose(plist);
    H5Dclose(dataset);
    return static_cast<int64_t>(chunk);
  };
  EXPECT_EQ(chunk_of("/a/wide"), 64);
  EXPECT_EQ(chunk_of("/a/narrow"), 64);
  EXPECT_EQ(chunk_of("/a/short"), 3);
  EXPECT_EQ(chunk_of("/a/empty"), 0);
  H5Fclose(file);
}

TEST(ActionSynthFile, WritesTheLogTruthAndAttributes) {
  const std::string path = test::scratch_dir() + "/actions.h5";
  const ActionLog log = generate_action_log(small_params(20000, 5, ActionSetting::standard));
  write_action_log(path, log);
  EXPECT_THROW(write_action_log(path, log), InputError);  // exists, no overwrite

  H5Reader reader(path);
  EXPECT_EQ(reader.read_int64("/actions/account"), log.actions.account);
  EXPECT_EQ(reader.read_int64("/actions/target"), log.actions.target);
  EXPECT_EQ(reader.read_int64("/actions/time"), log.actions.time);
  const std::vector<int64_t> kind = reader.read_int64("/actions/kind");
  EXPECT_EQ(std::vector<int32_t>(kind.begin(), kind.end()), log.actions.kind);
  EXPECT_EQ(reader.read_int64("/truth/account"), log.truth.account);
  EXPECT_EQ(reader.read_int64("/truth/campaign"), log.truth.campaign);
  EXPECT_EQ(reader.read_int64("/truth/community"), log.truth.community);
  const std::vector<int64_t> truth_kind = reader.read_int64("/truth/kind");
  EXPECT_EQ(std::vector<int32_t>(truth_kind.begin(), truth_kind.end()), log.truth.kind);
  EXPECT_EQ(reader.read_string_attribute("/", "generator"), "unfriend synth --actions");
  EXPECT_EQ(reader.read_int64_attribute("/", "seed"), 5);
  EXPECT_EQ(reader.read_string_attribute("/", "setting"), "default");
  EXPECT_EQ(reader.read_int64_attribute("/", "rows"), 20000);
  EXPECT_EQ(reader.read_int64_attribute("/", "actions"),
            static_cast<int64_t>(log.actions.time.size()));
  EXPECT_EQ(reader.read_string_attribute("/actions/kind", "codes"),
            "0=view,1=like,2=comment,3=share,4=report");
  const auto params = nlohmann::json::parse(reader.read_string_attribute("/", "params"));
  EXPECT_EQ(params["setting"], "default");
  EXPECT_EQ(params["rows"], 20000);

  // Stored types: int64 everywhere but the kinds (int32); the log in chunks of 1<<20 rows.
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  auto size_of = [&](const char* name) {
    hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t type = H5Dget_type(dataset);
    const size_t size = H5Tget_class(type) == H5T_INTEGER ? H5Tget_size(type) : 0;
    H5Tclose(type);
    H5Dclose(dataset);
    return size;
  };
  EXPECT_EQ(size_of("/actions/account"), 8u);
  EXPECT_EQ(size_of("/actions/target"), 8u);
  EXPECT_EQ(size_of("/actions/time"), 8u);
  EXPECT_EQ(size_of("/actions/kind"), 4u);
  EXPECT_EQ(size_of("/truth/account"), 8u);
  EXPECT_EQ(size_of("/truth/kind"), 4u);
  EXPECT_EQ(size_of("/truth/campaign"), 8u);
  EXPECT_EQ(size_of("/truth/community"), 8u);
  hid_t dataset = H5Dopen2(file, "/actions/time", H5P_DEFAULT);
  hid_t plist = H5Dget_create_plist(dataset);
  hsize_t chunk = 0;
  ASSERT_EQ(H5Pget_layout(plist), H5D_CHUNKED);
  H5Pget_chunk(plist, 1, &chunk);
  EXPECT_EQ(static_cast<int64_t>(chunk),
            std::min<int64_t>(int64_t{1} << 20, static_cast<int64_t>(log.actions.time.size())));
  H5Pclose(plist);
  H5Dclose(dataset);
  H5Fclose(file);
}

TEST(ActionSynth, BadParametersAreInputErrors) {
  ActionSynthParams p = action_synth_params(ActionSetting::standard);
  p.rows = 0;
  try {
    validate(p);
    FAIL() << "rows 0 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--rows"), std::string::npos) << e.what();
  }
  p = action_synth_params(ActionSetting::standard);
  p.window_hi_s = p.window_lo_s / 2;
  EXPECT_THROW(validate(p), InputError);
  p = action_synth_params(ActionSetting::standard);
  p.camouflage_max = 1;
  EXPECT_THROW(generate_action_log(p), InputError);
  EXPECT_THROW(action_setting_from_string("medium"), InputError);
  EXPECT_EQ(action_setting_from_string("hard"), ActionSetting::hard);
  EXPECT_EQ(to_string(action_setting_from_string("default")), "default");
}

TEST(ActionSynth, TinyWorldsNeverCrash) {
  for (int64_t rows : {1, 2, 19, 100, 1000}) {
    const ActionLog log = generate_action_log(small_params(rows, 1, ActionSetting::hard, 2));
    EXPECT_EQ(static_cast<int64_t>(log.truth.account.size()), rows);
    EXPECT_EQ(log.actions.time.size(), log.actions.account.size());
  }
}

// ---------------------------------------------------------------------------------------------
// Truth and structure

TEST_F(ActionWorlds, ColumnsAreConsistentAndInRange) {
  for (const ActionLog* log : {&standard(), &hard()}) {
    const ActionColumns& a = log->actions;
    const AccountTruth& t = log->truth;
    const size_t n = a.time.size();
    ASSERT_EQ(a.account.size(), n);
    ASSERT_EQ(a.target.size(), n);
    ASSERT_EQ(a.kind.size(), n);
    ASSERT_EQ(t.account.size(), 50000u);
    ASSERT_EQ(t.kind.size(), t.account.size());
    ASSERT_EQ(t.campaign.size(), t.account.size());
    ASSERT_EQ(t.community.size(), t.account.size());
    EXPECT_EQ(log->summary.actions, static_cast<int64_t>(n));

    const std::unordered_set<int64_t> ids(t.account.begin(), t.account.end());
    EXPECT_EQ(ids.size(), t.account.size()) << "account ids are not distinct";
    EXPECT_TRUE(std::all_of(t.account.begin(), t.account.end(), [](int64_t id) { return id > 0; }));
    // Not 0..N-1 nor any small range.
    EXPECT_GT(*std::max_element(t.account.begin(), t.account.end()), int64_t{1} << 40);
    std::unordered_set<int64_t> acting;
    for (int64_t id : a.account) acting.insert(id);
    for (int64_t id : acting) ASSERT_TRUE(ids.count(id) > 0) << "action by unknown account " << id;
    EXPECT_GT(acting.size(), ids.size() * 95 / 100);  // nearly everyone does something

    const int64_t start = log->params.start_time;
    const int64_t end = start + 14 * 86400;
    EXPECT_NEAR(static_cast<double>(start), 1.7e9, 1e7);
    int64_t first = end;
    int64_t last = start;
    for (size_t k = 0; k < n; ++k) {
      ASSERT_GE(a.time[k], start);
      ASSERT_LT(a.time[k], end);
      ASSERT_GE(a.target[k], 0);
      ASSERT_GE(a.kind[k], 0);
      ASSERT_LT(a.kind[k], kActionKindCount);
      first = std::min(first, a.time[k]);
      last = std::max(last, a.time[k]);
    }
    EXPECT_LT(first - start, kHour);  // the log spans the whole window
    EXPECT_LT(end - last, kHour);
    for (size_t r = 0; r < t.kind.size(); ++r) {
      ASSERT_GE(t.kind[r], 0);
      ASSERT_LE(t.kind[r], static_cast<int32_t>(AccountKind::mass_report));
      EXPECT_EQ(t.campaign[r] >= 0, is_campaign(t.kind[r]));
      EXPECT_EQ(t.cell[r] >= 0, is_campaign(t.kind[r]));
      EXPECT_EQ(t.community[r] >= 0, t.kind[r] == static_cast<int32_t>(AccountKind::dense_genuine));
    }
  }
}

TEST_F(ActionWorlds, RowsAreShuffled) {
  const ActionLog& log = standard();
  // Neither time nor account order, and campaign members are not contiguous in the truth.
  EXPECT_FALSE(std::is_sorted(log.actions.time.begin(), log.actions.time.end()));
  int64_t rises = 0;
  for (size_t k = 1; k < log.actions.time.size(); ++k) {
    rises += log.actions.time[k] > log.actions.time[k - 1];
  }
  EXPECT_NEAR(static_cast<double>(rises) / static_cast<double>(log.actions.time.size()), 0.5, 0.01);
  int64_t same_neighbour = 0;
  for (size_t k = 1; k < log.actions.account.size(); ++k) {
    same_neighbour += log.actions.account[k] == log.actions.account[k - 1];
  }
  EXPECT_LT(same_neighbour, static_cast<int64_t>(log.actions.account.size()) / 1000);
  int64_t runs = 0;
  for (size_t r = 1; r < log.truth.campaign.size(); ++r) {
    runs += log.truth.campaign[r] >= 0 && log.truth.campaign[r] == log.truth.campaign[r - 1];
  }
  EXPECT_LT(runs, 200);
}

TEST_F(ActionWorlds, PlantedGroupsExistWithTheirSizes) {
  for (const ActionLog* log : {&standard(), &hard()}) {
    const ActionSynthParams& p = log->params;
    const ActionSummary& s = log->summary;
    const AccountTruth& t = log->truth;
    std::map<int64_t, int64_t> campaign_size;
    std::map<int64_t, int32_t> campaign_kind;
    std::map<int64_t, std::set<int32_t>> campaign_cells;
    std::map<int64_t, int64_t> fan_size;
    for (size_t r = 0; r < t.account.size(); ++r) {
      if (t.campaign[r] >= 0) {
        ++campaign_size[t.campaign[r]];
        auto [it, fresh] = campaign_kind.emplace(t.campaign[r], t.kind[r]);
        EXPECT_EQ(it->second, t.kind[r]) << "campaign " << t.campaign[r] << " mixes kinds";
        campaign_cells[t.campaign[r]].insert(t.cell[r]);
      }
      if (t.community[r] >= 0) ++fan_size[t.community[r]];
    }
    ASSERT_GE(s.farms, 1);
    ASSERT_GE(s.networks, 1);
    EXPECT_EQ(static_cast<int64_t>(campaign_size.size()), s.farms + s.networks);
    EXPECT_EQ(campaign_size.begin()->first, 0);
    EXPECT_EQ(campaign_size.rbegin()->first, s.farms + s.networks - 1);  // ids 0..F+M-1
    int64_t members = 0;
    int64_t split = 0;
    for (const auto& [id, size] : campaign_size) {
      members += size;
      const bool farm = campaign_kind[id] == static_cast<int32_t>(AccountKind::click_farm);
      EXPECT_EQ(farm, id < s.farms);
      EXPECT_GE(size, farm ? p.farm_size_lo : p.network_size_lo);
      EXPECT_LE(size, farm ? p.farm_size_hi : p.network_size_hi);
      const std::set<int32_t>& cells = campaign_cells[id];
      EXPECT_EQ(*cells.begin(), 0);
      EXPECT_EQ(*cells.rbegin(), static_cast<int32_t>(cells.size()) - 1);
      EXPECT_LE(static_cast<int>(cells.size()), p.cells_hi);
      split += cells.size() > 1;
    }
    EXPECT_EQ(split, s.split_campaigns);
    EXPECT_GE(split, 1);
    EXPECT_NEAR(static_cast<double>(members) / 50000.0, p.campaign_fraction, 0.005);
    int64_t fans = 0;
    for (const auto& [id, size] : fan_size) {
      fans += size;
      EXPECT_GE(size, p.fan_size_lo);
      EXPECT_LE(size, p.fan_size_hi);
    }
    EXPECT_EQ(static_cast<int64_t>(fan_size.size()), s.fan_bases);
    EXPECT_NEAR(static_cast<double>(fans) / 50000.0, p.fan_fraction, 0.01);
    EXPECT_EQ(s.kind_accounts[static_cast<int>(AccountKind::dense_genuine)], fans);
    EXPECT_EQ(s.kind_accounts[static_cast<int>(AccountKind::near_duplicate)], 0);
    // About 50 actions per account.
    const double per_account = static_cast<double>(s.actions) / 50000.0;
    EXPECT_GT(per_account, 35);
    EXPECT_LT(per_account, 70);
  }
  EXPECT_GT(hard().summary.viral_bursts, standard().summary.viral_bursts);
  EXPECT_GT(hard().summary.kind_accounts[static_cast<int>(AccountKind::dense_genuine)],
            standard().summary.kind_accounts[static_cast<int>(AccountKind::dense_genuine)]);
}

// ---------------------------------------------------------------------------------------------
// Behaviour

TEST_F(ActionWorlds, GenuineActivityIsHeavyTailedMostlyViewsAndLikes) {
  const ActionLog& log = standard();
  const Indexed x(log);
  std::vector<int64_t> per_account(log.truth.account.size(), 0);
  int64_t genuine_actions = 0;
  int64_t views_likes = 0;
  int64_t reports = 0;
  for (size_t k = 0; k < x.row.size(); ++k) {
    if (log.truth.kind[x.row[k]] != static_cast<int32_t>(AccountKind::genuine)) continue;
    ++per_account[x.row[k]];
    ++genuine_actions;
    views_likes += log.actions.kind[k] <= static_cast<int32_t>(ActionKind::like);
    reports += log.actions.kind[k] == static_cast<int32_t>(ActionKind::report);
  }
  std::vector<double> counts;
  for (size_t r = 0; r < per_account.size(); ++r) {
    if (log.truth.kind[r] == static_cast<int32_t>(AccountKind::genuine)) {
      counts.push_back(static_cast<double>(per_account[r]));
    }
  }
  std::sort(counts.begin(), counts.end());
  const double med = counts[counts.size() / 2];
  double mean = 0;
  for (double c : counts) mean += c;
  mean /= static_cast<double>(counts.size());
  EXPECT_LE(med, 20) << "most accounts act a handful of times";
  EXPECT_GT(mean, 2 * med) << "a heavy tail pulls the mean up";
  EXPECT_GE(counts.back(), 1000) << "a few accounts act thousands of times";
  EXPECT_GT(static_cast<double>(views_likes) / static_cast<double>(genuine_actions), 0.85);
  EXPECT_LT(static_cast<double>(reports) / static_cast<double>(genuine_actions), 0.005);
  EXPECT_GT(reports, 0);
}

TEST_F(ActionWorlds, GenuineAccountsFollowTheirWakingHours) {
  // Every account's actions cluster around some hour of the day: the circular mean resultant of
  // its action hours is far above what uniform times give for the same number of actions.
  const ActionLog& log = standard();
  const Indexed x(log);
  std::vector<double> cos_sum(log.truth.account.size(), 0);
  std::vector<double> sin_sum(log.truth.account.size(), 0);
  std::vector<int64_t> count(log.truth.account.size(), 0);
  for (size_t k = 0; k < x.row.size(); ++k) {
    const size_t r = x.row[k];
    if (log.truth.kind[r] != static_cast<int32_t>(AccountKind::genuine) ||
        log.actions.kind[k] != static_cast<int32_t>(ActionKind::view)) {
      continue;
    }
    const double angle = 2 * M_PI * static_cast<double>(log.actions.time[k] % 86400) / 86400.0;
    cos_sum[r] += std::cos(angle);
    sin_sum[r] += std::sin(angle);
    ++count[r];
  }
  std::vector<double> resultant;
  for (size_t r = 0; r < count.size(); ++r) {
    if (count[r] < 100) continue;
    resultant.push_back(std::hypot(cos_sum[r], sin_sum[r]) / static_cast<double>(count[r]));
  }
  ASSERT_GT(resultant.size(), 100u);
  EXPECT_GT(median(resultant), 0.2);  // uniform hours: about 0.09 at 100 actions
}

TEST_F(ActionWorlds, CampaignsActWithinMinutesFanBasesOverHours) {
  for (const ActionLog* log : {&standard(), &hard()}) {
    const Indexed x(*log);
    const std::map<int64_t, double> campaigns = group_spreads(busy_waves(x, true, 0.1));
    const std::map<int64_t, double> fans = group_spreads(busy_waves(x, false, 0.2));
    ASSERT_EQ(static_cast<int64_t>(campaigns.size()), log->summary.farms + log->summary.networks);
    ASSERT_EQ(static_cast<int64_t>(fans.size()), log->summary.fan_bases);
    std::vector<double> c;
    std::vector<double> f;
    for (const auto& [id, spread] : campaigns) {
      c.push_back(spread);
      EXPECT_LT(spread, log->params.window_hi_s) << "campaign " << id;
    }
    for (const auto& [id, spread] : fans) f.push_back(spread);
    const double campaign_spread = median(c);
    const double fan_spread = median(f);
    if (log->params.setting == ActionSetting::standard) {
      EXPECT_LT(campaign_spread, 10 * kMinute);
      EXPECT_GT(fan_spread, kHour);
      EXPECT_GT(*std::min_element(f.begin(), f.end()), 30 * kMinute);
    } else {
      EXPECT_LT(campaign_spread, 30 * kMinute);
      EXPECT_GT(fan_spread, 30 * kMinute);
    }
    EXPECT_GT(fan_spread, 3 * campaign_spread);
  }
  // Hard campaigns are looser than default ones.
  auto spread_of = [](const ActionLog& log) {
    std::vector<double> c;
    for (const auto& [id, s] : group_spreads(busy_waves(Indexed(log), true, 0.1))) {
      c.push_back(s);
    }
    return median(c);
  };
  EXPECT_GT(spread_of(hard()), 1.5 * spread_of(standard()));
}

TEST_F(ActionWorlds, CellsHitTheSameTargetsHoursApart) {
  const ActionLog& log = standard();
  const Indexed x(log);
  std::vector<double> gaps;
  for (const auto& [campaign, waves] : busy_waves(x, true, 0.1)) {
    // Per target: each cell's median time, then the gaps between consecutive cells.
    std::map<std::pair<int64_t, int32_t>, std::map<int32_t, double>> cell_time;
    for (const auto& [wave, times] : waves) {
      std::vector<double> t(times.begin(), times.end());
      cell_time[{wave.target, wave.kind}][wave.cell] = median(t);
    }
    for (const auto& [target, cells] : cell_time) {
      for (auto it = cells.begin(); std::next(it) != cells.end(); ++it) {
        if (std::next(it)->first == it->first + 1)
          gaps.push_back(std::next(it)->second - it->second);
      }
    }
  }
  ASSERT_GT(gaps.size(), 20u);
  EXPECT_GT(median(gaps), 0.9 * log.params.cell_shift_lo_s);
  EXPECT_LT(median(gaps), 1.1 * log.params.cell_shift_hi_s);
}

TEST_F(ActionWorlds, ParticipationIsPartialAndMembersCamouflage) {
  double camouflage[2] = {0, 0};
  for (const ActionLog* log : {&standard(), &hard()}) {
    const Indexed x(*log);
    // A wave's turnout: its actions over its cell's members.
    const auto members = cell_members(*log, true);
    std::vector<double> turnout;
    for (const auto& [campaign, waves] : busy_waves(x, true, 0.1)) {
      for (const auto& [wave, times] : waves) {
        const int64_t size = members.at({campaign, wave.cell});
        if (size >= 20) {
          turnout.push_back(static_cast<double>(times.size()) / static_cast<double>(size));
        }
      }
    }
    ASSERT_FALSE(turnout.empty());
    EXPECT_LT(median(turnout), log->params.participation_hi);
    EXPECT_GT(median(turnout), 0.5 * log->params.participation_lo);
    EXPECT_LE(*std::max_element(turnout.begin(), turnout.end()), 1.0);

    std::vector<double> shares;
    for (int64_t c = log->summary.farms; c < log->summary.farms + log->summary.networks; ++c) {
      shares.push_back(camouflage_share(x, c));
    }
    ASSERT_GE(shares.size(), 3u);
    EXPECT_LT(*std::max_element(shares.begin(), shares.end()), log->params.camouflage_max + 0.03);
    EXPECT_GT(median(shares), 0.1 * log->params.camouflage_max);
    EXPECT_LT(median(shares), 0.9 * log->params.camouflage_max);
    camouflage[log == &hard()] = median(shares);
  }
  EXPECT_GT(camouflage[1], camouflage[0]) << "hard campaigns hide more";
}

TEST_F(ActionWorlds, ViralBurstsGatherThousandsOfGenuineAccountsWithinHours) {
  for (const ActionLog* log : {&standard(), &hard()}) {
    const Indexed x(*log);
    std::unordered_map<int64_t, std::vector<int64_t>> views;  // target -> genuine view times
    for (size_t k = 0; k < x.row.size(); ++k) {
      if (log->truth.kind[x.row[k]] == static_cast<int32_t>(AccountKind::genuine) &&
          log->actions.kind[k] == static_cast<int32_t>(ActionKind::view)) {
        views[log->actions.target[k]].push_back(log->actions.time[k]);
      }
    }
    int64_t bursts = 0;
    for (auto& [target, times] : views) {
      if (times.size() < 1000) continue;
      std::sort(times.begin(), times.end());
      size_t best = 0;
      for (size_t i = 0, j = 0; j < times.size(); ++j) {
        while (times[j] - times[i] > 6 * kHour) ++i;
        best = std::max(best, j - i + 1);
      }
      bursts += best >= 1000;
    }
    EXPECT_GE(bursts, log->summary.viral_bursts);
  }
}

// What a lockstep detector sees: account pairs with many matches (same target, same non-view
// kind, times within `tolerance`). Genuine accounts (one in ten) and fans (one in three) are
// sampled to keep the count small; campaign members are all in.
struct PairCensus {
  // Pairs with at least 5 and at least 10 matches, by kind of pair.
  int64_t cell[2] = {};     // within a campaign cell
  int64_t base[2] = {};     // within a fan base
  int64_t genuine[2] = {};  // two sampled genuine accounts
  int64_t split[2] = {};    // one campaign, different cells
  int64_t cell_pairs = 0;   // possible pairs within a campaign cell
  int64_t base_pairs = 0;   // possible pairs within a fan base
};

PairCensus pair_census(const ActionLog& log, int64_t tolerance) {
  const Indexed x(log);
  const AccountTruth& t = log.truth;
  auto sampled = [&](size_t r) {
    return is_campaign(t.kind[r]) || t.account[r] % (t.kind[r] == 0 ? 10 : 3) == 0;
  };
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, uint32_t>>> by_slot;
  for (size_t k = 0; k < x.row.size(); ++k) {
    const int32_t kind = log.actions.kind[k];
    if (kind == static_cast<int32_t>(ActionKind::view) || !sampled(x.row[k])) continue;
    by_slot[log.actions.target[k] * kActionKindCount + kind].push_back(
        {log.actions.time[k], static_cast<uint32_t>(x.row[k])});
  }
  std::unordered_map<uint64_t, int> matches;
  for (auto& [slot, v] : by_slot) {
    std::sort(v.begin(), v.end());
    for (size_t i = 0, j = 0; j < v.size(); ++j) {
      while (v[j].first - v[i].first > tolerance) ++i;
      for (size_t m = i; m < j; ++m) {
        const uint32_t a = std::min(v[m].second, v[j].second);
        const uint32_t b = std::max(v[m].second, v[j].second);
        if (a != b) ++matches[(uint64_t{a} << 32) | b];
      }
    }
  }
  PairCensus c;
  for (const auto& [key, n] : matches) {
    if (n < 5) continue;
    const int level = n >= 10 ? 2 : 1;
    const auto a = static_cast<size_t>(key >> 32);
    const auto b = static_cast<size_t>(key & 0xffffffffu);
    int64_t* counts = nullptr;
    if (t.kind[a] == 0 && t.kind[b] == 0) {
      counts = c.genuine;
    } else if (t.community[a] >= 0 && t.community[a] == t.community[b]) {
      counts = c.base;
    } else if (t.campaign[a] >= 0 && t.campaign[a] == t.campaign[b]) {
      counts = t.cell[a] == t.cell[b] ? c.cell : c.split;
    } else {
      continue;
    }
    for (int l = 0; l < level; ++l) ++counts[l];
  }
  for (const auto& [cell, n] : cell_members(log, true)) c.cell_pairs += n * (n - 1) / 2;
  std::map<int64_t, int64_t> sampled_fans;
  for (size_t r = 0; r < t.account.size(); ++r) {
    if (t.community[r] >= 0 && sampled(r)) ++sampled_fans[t.community[r]];
  }
  for (const auto& [base, n] : sampled_fans) c.base_pairs += n * (n - 1) / 2;
  return c;
}

TEST_F(ActionWorlds, CampaignPairsMatchOftenGenuinePairsRarely) {
  const auto share = [](int64_t n, int64_t of) {
    return static_cast<double>(n) / static_cast<double>(std::max<int64_t>(of, 1));
  };
  // Default, 5-minute tolerance: most pairs of a cell match at least 5 times, fan pairs rarely
  // 10 times, genuine pairs practically never, and cells do not match each other.
  const PairCensus d = pair_census(standard(), 5 * kMinute);
  EXPECT_GT(share(d.cell[0], d.cell_pairs), 0.4);
  EXPECT_GT(share(d.cell[1], d.cell_pairs), 0.1);
  EXPECT_LT(share(d.base[1], d.base_pairs), 0.02);
  EXPECT_LT(d.genuine[0], 10);
  EXPECT_EQ(d.split[0], 0);

  // Hard: at the same tolerance far fewer cell pairs reach 5 matches; a looser tolerance finds
  // them again, but then fan pairs match as much, which is what makes it hard.
  const PairCensus h = pair_census(hard(), 5 * kMinute);
  EXPECT_LT(share(h.cell[0], h.cell_pairs), 0.5 * share(d.cell[0], d.cell_pairs));
  const PairCensus loose = pair_census(hard(), 30 * kMinute);
  EXPECT_GT(share(loose.cell[0], loose.cell_pairs), 2 * share(h.cell[0], h.cell_pairs));
  EXPECT_GT(share(loose.base[0], loose.base_pairs), 0.1);
  EXPECT_LT(loose.genuine[0], 50);
  EXPECT_EQ(loose.split[0], 0);
}

// ---------------------------------------------------------------------------------------------
// The command line

TEST(ActionSynthCli, WritesTheFileAndOneLine) {
  const std::string dir = test::scratch_dir();
  const test::CommandResult result = test::run_unfriend(
      "-q synth --actions -o " + dir + "/a.h5 --rows 5000 --seed 2 --setting hard");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("synth --actions: 5000 accounts (seed 2, setting hard)"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("actions (view"), std::string::npos) << result.out;
  H5Reader reader(dir + "/a.h5");
  EXPECT_EQ(reader.read_string_attribute("/", "setting"), "hard");
  EXPECT_EQ(reader.read_int64("/truth/account").size(), 5000u);

  const test::CommandResult dims =
      test::run_unfriend("synth --actions --dims 8 -o " + dir + "/b.h5 --rows 100");
  EXPECT_EQ(dims.exit_code, 2);
  EXPECT_NE(dims.err.find("--dims"), std::string::npos) << dims.err;
  const test::CommandResult setting =
      test::run_unfriend("synth --setting hard -o " + dir + "/c.h5 --rows 100");
  EXPECT_EQ(setting.exit_code, 2);
  EXPECT_NE(setting.err.find("--setting"), std::string::npos) << setting.err;
  EXPECT_FALSE(test::file_exists(dir + "/b.h5"));
  EXPECT_FALSE(test::file_exists(dir + "/c.h5"));
}

}  // namespace
}  // namespace unfriend
