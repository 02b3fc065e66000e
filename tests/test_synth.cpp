// The synthetic data generator: determinism, planted group sizes and kinds, fractions, the
// shape of the generative model, and the HDF5 file it writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <unordered_set>

#include "host/core/error.h"
#include "host/io/feature_reader.h"
#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "host/synth/plan.h"
#include "host/synth/synth.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

SynthParams small_params(int64_t rows, int64_t dims, uint64_t seed, int threads = 1) {
  SynthParams p;
  p.rows = rows;
  p.dims = dims;
  p.seed = seed;
  p.threads = threads;
  return p;
}

int64_t kind_count(const SynthData& data, AccountKind kind) {
  return std::count(data.kind.begin(), data.kind.end(), static_cast<int32_t>(kind));
}

// Rows of each group id among rows whose label is >= 0.
std::map<int64_t, std::vector<int64_t>> groups_of(const std::vector<int64_t>& labels) {
  std::map<int64_t, std::vector<int64_t>> groups;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= 0) groups[labels[i]].push_back(static_cast<int64_t>(i));
  }
  return groups;
}

void expect_same_bytes(const SynthData& a, const SynthData& b) {
  ASSERT_EQ(a.features.size(), b.features.size());
  EXPECT_EQ(0,
            std::memcmp(a.features.data(), b.features.data(), a.features.size() * sizeof(float)));
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.farm, b.farm);
  EXPECT_EQ(a.dup_group, b.dup_group);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.community, b.community);
}

// ---------------------------------------------------------------------------------------------
// Size splitting

TEST(SynthSplit, LogUniformSumsExactlyWithinBounds) {
  synth::Rng rng(7, 0, 0);
  for (int64_t total : {0, 1, 2, 19, 20, 39, 40, 41, 2999, 3001, 3019, 12000, 60001}) {
    std::vector<int64_t> sizes = synth::split_log_uniform(total, 20, 3000, rng);
    EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), int64_t{0}), total < 2 ? 0 : total)
        << total;
    if (total >= 20) {
      for (int64_t s : sizes) {
        EXPECT_GE(s, 20) << total;
        EXPECT_LE(s, 3000) << total;
      }
    } else if (total >= 2) {
      EXPECT_EQ(sizes, std::vector<int64_t>{total});
    }
  }
}

TEST(SynthSplit, PowerLawIsHeavyTailedAndExact) {
  synth::Rng rng(3, 0, 0);
  std::vector<int64_t> sizes = synth::split_power_law(500000, 30, 25000, 2.0, rng);
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), int64_t{0}), 500000);
  const int64_t largest = *std::max_element(sizes.begin(), sizes.end());
  const int64_t smallest = *std::min_element(sizes.begin(), sizes.end());
  EXPECT_GE(smallest, 30);
  EXPECT_LE(largest, 25000 + 30);
  std::vector<int64_t> sorted = sizes;
  std::sort(sorted.begin(), sorted.end());
  const int64_t median = sorted[sorted.size() / 2];
  // Power law with exponent 2: most communities are small, a few are two orders larger.
  EXPECT_LT(median, 100);
  EXPECT_GT(largest, 50 * median);
}

TEST(SynthSplit, CountedKeepsCountAndTotal) {
  synth::Rng rng(11, 0, 0);
  std::vector<int64_t> sizes = synth::split_counted(8000, 4, 10, 300, 3000, rng);
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), int64_t{0}), 8000);
  EXPECT_GE(sizes.size(), 4u);
  EXPECT_LE(sizes.size(), 10u);
  // A total that cannot give four groups of 300 gets fewer, larger-than-2 groups.
  sizes = synth::split_counted(700, 4, 10, 300, 3000, rng);
  EXPECT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0] + sizes[1], 700);
  sizes = synth::split_counted(40, 4, 10, 300, 3000, rng);
  EXPECT_EQ(sizes, std::vector<int64_t>{40});
  EXPECT_TRUE(synth::split_counted(1, 4, 10, 300, 3000, rng).empty());
  // More rows than max_count x hi: the count stays at the maximum and sizes grow.
  sizes = synth::split_counted(40000, 4, 10, 300, 3000, rng);
  EXPECT_EQ(sizes.size(), 10u);
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), int64_t{0}), 40000);
}

// ---------------------------------------------------------------------------------------------
// Determinism

TEST(Synth, SameSeedSameBytesAnyThreadCount) {
  const SynthData one = generate_synth(small_params(7001, 19, 42, 1));
  const SynthData three = generate_synth(small_params(7001, 19, 42, 3));
  expect_same_bytes(one, three);
}

TEST(Synth, DifferentSeedDifferentData) {
  const SynthData a = generate_synth(small_params(3001, 16, 1));
  const SynthData b = generate_synth(small_params(3001, 16, 2));
  ASSERT_EQ(a.features.size(), b.features.size());
  EXPECT_NE(0,
            std::memcmp(a.features.data(), b.features.data(), a.features.size() * sizeof(float)));
  EXPECT_NE(a.ids, b.ids);
  EXPECT_NE(a.kind, b.kind);  // a different shuffle
}

// ---------------------------------------------------------------------------------------------
// The default data set

class SynthDefault : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SynthParams p;  // the defaults: 200000 x 64, seed 1
    p.threads = 2;
    data_ = new SynthData(generate_synth(p));
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }
  static SynthData* data_;
};
SynthData* SynthDefault::data_ = nullptr;

TEST_F(SynthDefault, FractionsAreExactish) {
  const SynthData& d = *data_;
  ASSERT_EQ(d.rows, 200000);
  ASSERT_EQ(d.dims, 64);
  const double n = static_cast<double>(d.rows);
  EXPECT_NEAR(kind_count(d, AccountKind::dense_genuine) / n, 0.04, 0.001);
  EXPECT_NEAR(kind_count(d, AccountKind::click_farm) / n, 0.06, 0.001);
  EXPECT_NEAR(kind_count(d, AccountKind::mass_report) / n, 0.01, 0.001);
  EXPECT_NEAR(kind_count(d, AccountKind::near_duplicate) / n, 0.01, 0.001);
  EXPECT_NEAR(kind_count(d, AccountKind::genuine) / n, 0.88, 0.002);
  for (int k = 0; k < kAccountKindCount; ++k) {
    EXPECT_EQ(d.summary.kind_rows[k], kind_count(d, static_cast<AccountKind>(k)));
  }
  EXPECT_NEAR(static_cast<double>(d.summary.loners) / kind_count(d, AccountKind::genuine), 0.03,
              0.002);
}

TEST_F(SynthDefault, TruthColumnsAreConsistent) {
  const SynthData& d = *data_;
  for (int64_t i = 0; i < d.rows; ++i) {
    const auto kind = static_cast<AccountKind>(d.kind[static_cast<size_t>(i)]);
    const int64_t farm = d.farm[static_cast<size_t>(i)];
    const int64_t dup = d.dup_group[static_cast<size_t>(i)];
    const int64_t community = d.community[static_cast<size_t>(i)];
    const bool farm_kind = kind == AccountKind::click_farm || kind == AccountKind::mass_report;
    ASSERT_EQ(farm >= 0, farm_kind) << i;
    ASSERT_EQ(dup >= 0, kind == AccountKind::near_duplicate) << i;
    if (kind != AccountKind::genuine && kind != AccountKind::dense_genuine) {
      ASSERT_EQ(community, -1) << i;
    }
    if (kind == AccountKind::dense_genuine) ASSERT_GE(community, 0) << i;
  }
  // Farms and networks share one id space: farms first, then networks.
  std::set<int64_t> farm_ids, network_ids;
  for (int64_t i = 0; i < d.rows; ++i) {
    if (d.kind[i] == static_cast<int32_t>(AccountKind::click_farm)) farm_ids.insert(d.farm[i]);
    if (d.kind[i] == static_cast<int32_t>(AccountKind::mass_report)) network_ids.insert(d.farm[i]);
  }
  EXPECT_EQ(static_cast<int64_t>(farm_ids.size()), d.summary.farms);
  EXPECT_EQ(static_cast<int64_t>(network_ids.size()), d.summary.mass_report_networks);
  ASSERT_FALSE(farm_ids.empty());
  ASSERT_FALSE(network_ids.empty());
  EXPECT_LT(*farm_ids.rbegin(), *network_ids.begin());
}

TEST_F(SynthDefault, GroupSizesFollowTheModel) {
  const SynthData& d = *data_;
  std::map<int64_t, std::vector<int64_t>> farms = groups_of(d.farm);
  int64_t smallest_farm = INT64_MAX, largest_farm = 0;
  for (const auto& [id, rows] : farms) {
    const int64_t size = static_cast<int64_t>(rows.size());
    if (d.kind[static_cast<size_t>(rows[0])] == static_cast<int32_t>(AccountKind::click_farm)) {
      EXPECT_GE(size, 20);
      EXPECT_LE(size, 3000);
      smallest_farm = std::min(smallest_farm, size);
      largest_farm = std::max(largest_farm, size);
    } else {
      EXPECT_GE(size, 30);
      EXPECT_LE(size, 500);
    }
  }
  EXPECT_GT(largest_farm, 10 * smallest_farm);  // log-uniform: sizes span orders of magnitude

  std::map<int64_t, std::vector<int64_t>> dups = groups_of(d.dup_group);
  EXPECT_EQ(static_cast<int64_t>(dups.size()), d.summary.duplicate_groups);
  int64_t exact = 0;
  for (const auto& [id, rows] : dups) {
    ASSERT_GE(rows.size(), 2u);
    ASSERT_LE(rows.size(), 20u);
    const float* first = d.features.data() + rows[0] * d.dims;
    bool identical = true;
    double max_diff = 0;
    for (size_t m = 1; m < rows.size(); ++m) {
      const float* other = d.features.data() + rows[m] * d.dims;
      identical = identical && std::memcmp(first, other, sizeof(float) * d.dims) == 0;
      for (int64_t c = 0; c < d.dims; ++c) {
        max_diff = std::max(max_diff, std::fabs(double(first[c]) - double(other[c])));
      }
    }
    exact += identical;
    // Near-duplicates: noise 0.004 in latent units, at most a few hundredths in raw units.
    EXPECT_LT(max_diff, 2.0) << "dup group " << id;
  }
  EXPECT_EQ(exact, d.summary.exact_duplicate_groups);
  EXPECT_NEAR(static_cast<double>(exact) / dups.size(), 1.0 / 3.0, 0.02);

  EXPECT_GE(d.summary.dense_communities, 4);
  EXPECT_LE(d.summary.dense_communities, 10);
  std::map<int64_t, int64_t> dense_sizes;
  for (int64_t i = 0; i < d.rows; ++i) {
    if (d.kind[i] == static_cast<int32_t>(AccountKind::dense_genuine))
      ++dense_sizes[d.community[i]];
  }
  EXPECT_EQ(static_cast<int64_t>(dense_sizes.size()), d.summary.dense_communities);
  for (const auto& [id, size] : dense_sizes) {
    EXPECT_GE(size, 300);
    EXPECT_LE(size, 3000);
  }

  // Genuine communities: from 30 up to about 5% of N, heavy-tailed.
  std::map<int64_t, int64_t> community_sizes;
  for (int64_t i = 0; i < d.rows; ++i) {
    if (d.kind[i] == static_cast<int32_t>(AccountKind::genuine) && d.community[i] >= 0) {
      ++community_sizes[d.community[i]];
    }
  }
  int64_t largest = 0, smallest = INT64_MAX;
  for (const auto& [id, size] : community_sizes) {
    largest = std::max(largest, size);
    smallest = std::min(smallest, size);
  }
  EXPECT_GE(smallest, 30);
  EXPECT_LE(largest, 10000 + 30);
  EXPECT_GT(largest, 2000);
}

TEST_F(SynthDefault, IdsAreUniqueAndNotRowIndices) {
  const SynthData& d = *data_;
  std::unordered_set<int64_t> seen(d.ids.begin(), d.ids.end());
  EXPECT_EQ(static_cast<int64_t>(seen.size()), d.rows);
  int64_t equal_to_index = 0;
  for (int64_t i = 0; i < d.rows; ++i) equal_to_index += d.ids[i] == i;
  EXPECT_LT(equal_to_index, 3);
  for (int64_t id : d.ids) ASSERT_GE(id, 0);
}

TEST_F(SynthDefault, RowsAreShuffled) {
  const SynthData& d = *data_;
  // A farm's members are spread over the file, not a contiguous block.
  for (const auto& [id, rows] : groups_of(d.farm)) {
    if (rows.size() < 100) continue;
    const int64_t span = rows.back() - rows.front();
    EXPECT_GT(span, 50 * static_cast<int64_t>(rows.size())) << "farm " << id;
  }
  // Kinds are interleaved from the very first rows.
  std::set<int32_t> first_kinds(d.kind.begin(), d.kind.begin() + 2000);
  EXPECT_GE(first_kinds.size(), 4u);
}

// Mean distance of members to their group mean, in standardised feature units.
std::map<int64_t, double> group_spread(const SynthData& d, const std::vector<int64_t>& labels,
                                       const std::vector<double>& inv_std) {
  std::map<int64_t, double> spread;
  for (const auto& [id, rows] : groups_of(labels)) {
    std::vector<double> mean(static_cast<size_t>(d.dims), 0.0);
    for (int64_t r : rows) {
      for (int64_t c = 0; c < d.dims; ++c) mean[c] += d.features[r * d.dims + c];
    }
    for (double& m : mean) m /= static_cast<double>(rows.size());
    double total = 0;
    for (int64_t r : rows) {
      double sq = 0;
      for (int64_t c = 0; c < d.dims; ++c) {
        const double z = (d.features[r * d.dims + c] - mean[c]) * inv_std[c];
        sq += z * z;
      }
      total += std::sqrt(sq);
    }
    spread[id] = total / static_cast<double>(rows.size());
  }
  return spread;
}

TEST_F(SynthDefault, FeaturesAreRawAndGroupsHaveTheirTightness) {
  const SynthData& d = *data_;
  const size_t dims = static_cast<size_t>(d.dims);
  std::vector<double> mean(dims, 0.0), sq(dims, 0.0);
  for (int64_t r = 0; r < d.rows; ++r) {
    for (size_t c = 0; c < dims; ++c) {
      const double v = d.features[r * dims + c];
      mean[c] += v;
      sq[c] += v * v;
    }
  }
  std::vector<double> stddev(dims), inv_std(dims);
  for (size_t c = 0; c < dims; ++c) {
    mean[c] /= d.rows;
    stddev[c] = std::sqrt(std::max(0.0, sq[c] / d.rows - mean[c] * mean[c]));
    inv_std[c] = 1.0 / stddev[c];
  }
  // Not standardised: scales differ by more than an order of magnitude, offsets are far from 0.
  auto [lo, hi] = std::minmax_element(stddev.begin(), stddev.end());
  EXPECT_GT(*hi / *lo, 10.0);
  const double max_abs_mean = std::fabs(*std::max_element(
      mean.begin(), mean.end(), [](double a, double b) { return std::fabs(a) < std::fabs(b); }));
  EXPECT_GT(max_abs_mean, 5.0);

  // Tightness order after standardisation: farms < dense communities < genuine communities.
  std::vector<int64_t> genuine(d.community.size(), -1), dense(d.community.size(), -1);
  for (size_t i = 0; i < d.community.size(); ++i) {
    if (d.kind[i] == static_cast<int32_t>(AccountKind::genuine)) genuine[i] = d.community[i];
    if (d.kind[i] == static_cast<int32_t>(AccountKind::dense_genuine)) dense[i] = d.community[i];
  }
  std::vector<int64_t> farms(d.farm.size(), -1);
  for (size_t i = 0; i < d.farm.size(); ++i) {
    if (d.kind[i] == static_cast<int32_t>(AccountKind::click_farm)) farms[i] = d.farm[i];
  }
  auto max_of = [](const std::map<int64_t, double>& m) {
    double v = 0;
    for (const auto& [id, s] : m) v = std::max(v, s);
    return v;
  };
  auto min_of = [](const std::map<int64_t, double>& m) {
    double v = 1e300;
    for (const auto& [id, s] : m) v = std::min(v, s);
    return v;
  };
  const auto farm_spread = group_spread(d, farms, inv_std);
  const auto dense_spread = group_spread(d, dense, inv_std);
  const auto genuine_spread = group_spread(d, genuine, inv_std);
  EXPECT_LT(max_of(farm_spread), min_of(dense_spread));
  EXPECT_LT(max_of(dense_spread), min_of(genuine_spread) * 1.2);
  double dense_mean = 0, genuine_mean = 0;
  for (const auto& [id, s] : dense_spread) dense_mean += s / dense_spread.size();
  for (const auto& [id, s] : genuine_spread) genuine_mean += s / genuine_spread.size();
  EXPECT_LT(dense_mean, 0.7 * genuine_mean);
}

TEST_F(SynthDefault, MassReportNetworksAreInLockstepOnHalfTheDimensions) {
  const SynthData& d = *data_;
  const size_t dims = static_cast<size_t>(d.dims);
  int checked = 0;
  for (const auto& [id, rows] : groups_of(d.farm)) {
    if (d.kind[rows[0]] != static_cast<int32_t>(AccountKind::mass_report)) continue;
    // Per-dimension spread relative to the farm-agnostic scale of that dimension is bimodal.
    std::vector<double> spread(dims);
    for (size_t c = 0; c < dims; ++c) {
      double m = 0, s = 0;
      for (int64_t r : rows) m += d.features[r * dims + c];
      m /= rows.size();
      for (int64_t r : rows) s += std::pow(d.features[r * dims + c] - m, 2);
      spread[c] = std::sqrt(s / rows.size());
    }
    // Raw spread = scale[d] x latent spread; the plan has the scales.
    synth::Plan plan = synth::make_plan(d.params);
    for (size_t c = 0; c < dims; ++c) spread[c] /= plan.scale[c];
    std::sort(spread.begin(), spread.end());
    const double tight = spread[dims / 4];
    const double loose = spread[3 * dims / 4];
    EXPECT_LT(tight, 0.06) << "network " << id;
    EXPECT_GT(loose, 0.10) << "network " << id;
    if (++checked == 3) break;
  }
  EXPECT_EQ(checked, 3);
}

// ---------------------------------------------------------------------------------------------
// Small data sets

TEST(Synth, ThousandRowsGetEveryKind) {
  const SynthData d = generate_synth(small_params(1000, 8, 5));
  EXPECT_EQ(d.rows, 1000);
  EXPECT_GE(d.summary.farms, 1);
  int64_t largest_farm = 0;
  for (const auto& [id, rows] : groups_of(d.farm)) {
    if (d.kind[rows[0]] == static_cast<int32_t>(AccountKind::click_farm)) {
      largest_farm = std::max<int64_t>(largest_farm, rows.size());
    }
  }
  EXPECT_GE(largest_farm, 20);
  EXPECT_GE(d.summary.duplicate_groups, 1);
  for (int k = 0; k < kAccountKindCount; ++k) {
    EXPECT_GT(kind_count(d, static_cast<AccountKind>(k)), 0) << to_string(AccountKind(k));
  }
  EXPECT_EQ(kind_count(d, AccountKind::click_farm), 60);
  EXPECT_EQ(kind_count(d, AccountKind::dense_genuine), 40);
  EXPECT_EQ(kind_count(d, AccountKind::mass_report), 10);
  EXPECT_EQ(kind_count(d, AccountKind::near_duplicate), 10);
}

TEST(Synth, TinyDataSetsNeverCrash) {
  for (int64_t rows : {1, 2, 3, 7, 20, 33, 49, 50, 51, 99, 150, 199}) {
    const SynthData d = generate_synth(small_params(rows, 3, static_cast<uint64_t>(rows)));
    ASSERT_EQ(d.rows, rows);
    ASSERT_EQ(d.features.size(), static_cast<size_t>(rows * 3));
    int64_t total = 0;
    for (int k = 0; k < kAccountKindCount; ++k) total += d.summary.kind_rows[k];
    EXPECT_EQ(total, rows);
    for (float v : d.features) ASSERT_TRUE(std::isfinite(v));
    for (const auto& [id, members] : groups_of(d.dup_group)) EXPECT_GE(members.size(), 2u);
    for (const auto& [id, members] : groups_of(d.farm)) EXPECT_GE(members.size(), 2u);
  }
  // 150 rows: 6% is 9 farm accounts, which still make one (small) farm.
  const SynthData d = generate_synth(small_params(150, 4, 1));
  EXPECT_EQ(kind_count(d, AccountKind::click_farm), 9);
  EXPECT_EQ(d.summary.farms, 1);
}

TEST(Synth, OneDimension) {
  const SynthData d = generate_synth(small_params(500, 1, 9));
  EXPECT_EQ(d.features.size(), 500u);
  for (float v : d.features) ASSERT_TRUE(std::isfinite(v));
}

TEST(Synth, BadParametersAreInputErrors) {
  SynthParams p = small_params(0, 8, 1);
  try {
    generate_synth(p);
    FAIL() << "rows = 0 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--rows"), std::string::npos) << e.what();
  }
  p = small_params(100, 0, 1);
  EXPECT_THROW(generate_synth(p), InputError);
  p = small_params(100, 8, 1);
  p.farm_min_size = 50;
  p.farm_max_size = 40;
  try {
    generate_synth(p);
    FAIL() << "farm_min_size > farm_max_size accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("farm_max_size"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  p = small_params(100, 8, 1);
  p.farm_fraction = 0.5;
  p.dense_fraction = 0.5;
  EXPECT_THROW(generate_synth(p), InputError);
  p = small_params(100, 8, 1);
  p.threads = -1;
  EXPECT_THROW(generate_synth(p), InputError);
}

TEST(Synth, ParamsJsonHasEveryKnob) {
  SynthParams p = small_params(1234, 12, 99);
  p.farm_sigma_max = 0.2;
  const nlohmann::json j = nlohmann::json::parse(to_json(p));
  EXPECT_EQ(j.at("rows").get<int64_t>(), 1234);
  EXPECT_EQ(j.at("dims").get<int64_t>(), 12);
  EXPECT_EQ(j.at("seed").get<uint64_t>(), 99u);
  EXPECT_DOUBLE_EQ(j.at("farm_sigma_max").get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(j.at("duplicate_sigma").get<double>(), 0.004);
  EXPECT_GE(j.size(), 40u);
}

// ---------------------------------------------------------------------------------------------
// The file

TEST(SynthFile, WritesDatasetsAndAttributes) {
  const std::string dir = test::scratch_dir();
  const std::string path = dir + "/synth.h5";
  const SynthData d = generate_synth(small_params(2500, 10, 3));
  write_synth(path, d);
  H5Reader reader(path);
  EXPECT_EQ(reader.shape("/accounts/features"), (std::vector<int64_t>{2500, 10}));
  EXPECT_EQ(reader.read_int64("/accounts/id"), d.ids);
  EXPECT_EQ(reader.read_int64("/truth/farm"), d.farm);
  EXPECT_EQ(reader.read_int64("/truth/dup_group"), d.dup_group);
  EXPECT_EQ(reader.read_int64("/truth/community"), d.community);
  std::vector<int64_t> kinds = reader.read_int64("/truth/kind");
  EXPECT_TRUE(std::equal(kinds.begin(), kinds.end(), d.kind.begin()));
  EXPECT_EQ(reader.read_string_attribute("/truth/kind", "codes"),
            "0=genuine,1=dense_genuine,2=click_farm,3=mass_report,4=near_duplicate");
  EXPECT_EQ(reader.read_int64_attribute("/", "seed"), 3);
  EXPECT_EQ(reader.read_string_attribute("/", "version"), UNFRIEND_VERSION);
  const nlohmann::json params = nlohmann::json::parse(reader.read_string_attribute("/", "params"));
  EXPECT_EQ(params.at("rows").get<int64_t>(), 2500);

  std::vector<float> back(d.features.size());
  FeatureReader features(path);
  EXPECT_EQ(features.info().dtype, "float32");
  features.read_rows(0, 2500, back.data());
  EXPECT_EQ(0, std::memcmp(back.data(), d.features.data(), back.size() * sizeof(float)));
  EXPECT_EQ(features.read_ids(), d.ids);

  // No silent replacement.
  EXPECT_THROW(write_synth(path, d), InputError);
  SynthWriteOptions replace;
  replace.overwrite = true;
  EXPECT_NO_THROW(write_synth(path, d, replace));
}

TEST(SynthFile, Float16RoundTrips) {
  const std::string path = test::scratch_dir() + "/half.h5";
  const SynthData d = generate_synth(small_params(1500, 24, 8));
  SynthWriteOptions options;
  options.dtype = StoredFloat::float16;
  options.gzip_level = 4;
  options.chunk_rows = 333;
  write_synth(path, d, options);
  FeatureReader features(path);
  EXPECT_EQ(features.info().dtype, "float16");
  EXPECT_EQ(features.info().compression, "gzip");
  ASSERT_EQ(features.info().chunk.size(), 2u);
  EXPECT_EQ(features.info().chunk[0], 333);
  std::vector<float> back(d.features.size());
  features.read_rows(0, d.rows, back.data());
  for (size_t i = 0; i < back.size(); ++i) {
    // float16 keeps 11 significant bits: relative error at most 2^-11 (plus subnormals near 0).
    ASSERT_NEAR(back[i], d.features[i], std::fabs(d.features[i]) * 4.9e-4 + 1e-4) << i;
  }
}

TEST(SynthFile, BadWriteOptions) {
  const std::string path = test::scratch_dir() + "/bad.h5";
  const SynthData d = generate_synth(small_params(100, 4, 1));
  SynthWriteOptions options;
  options.gzip_level = 12;
  EXPECT_THROW(write_synth(path, d, options), InputError);
  options.gzip_level = 0;
  options.chunk_rows = -5;
  EXPECT_THROW(write_synth(path, d, options), InputError);
  EXPECT_FALSE(test::file_exists(path));
}

}  // namespace
}  // namespace unfriend
