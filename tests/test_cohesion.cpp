// The split-respect (cohesion) test: a set alike in every respect stays a network in both
// halves of the features; a community alike in one respect, and a chance clump, do not.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "host/core/config.h"
#include "host/cpu/cpu_backend.h"
#include "host/pipeline/cohesion.h"
#include "host/pipeline/groups.h"
#include "host/pipeline/preprocess.h"

namespace unfriend {
namespace {

// The cohesion test searches on the backend it is given: the CPU reference here.
Backend& test_backend() {
  static const std::unique_ptr<Backend> backend = make_cpu_backend({});
  return *backend;
}

// 3,000 accounts of 8 independent normal features; rows [0, 40) share one point in all 8
// features (a network), rows [40, 120) share one point in features 0-2 only (a community alike
// in one respect), each with small individual noise.
struct World {
  Matrix matrix;
  std::vector<int64_t> label;  // 0: the network, 1: the community, -1: everyone else
};

World make_world(uint64_t seed) {
  constexpr int64_t kRows = 3000, kCols = 8;
  World w{Matrix(kRows, kCols), std::vector<int64_t>(kRows, -1)};
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> network(kCols), community(kCols);
  for (auto& v : network) v = normal(rng);
  for (auto& v : community) v = normal(rng);
  for (int64_t i = 0; i < kRows; ++i) {
    float* row = w.matrix.row(i);
    for (int64_t j = 0; j < kCols; ++j) row[j] = normal(rng);
    if (i < 40) {
      for (int64_t j = 0; j < kCols; ++j) row[j] = network[j] + 0.05f * normal(rng);
      w.label[i] = 0;
    } else if (i < 120) {
      for (int64_t j = 0; j < 3; ++j) row[j] = community[j] + 0.05f * normal(rng);
      w.label[i] = 1;
    }
  }
  normalize_for_metric(w.matrix, Metric::cosine);
  return w;
}

FeatureHalves respect_halves() {
  FeatureHalves h;
  h.columns[0] = {0, 1, 2, 3};
  h.columns[1] = {4, 5, 6, 7};
  return h;
}

TEST(Cohesion, SplitIsSeededDisjointAndCoversTheInformativeColumns) {
  const std::vector<int32_t> informative = {0, 2, 3, 5, 8, 9, 11};
  const FeatureHalves a = split_feature_halves(informative, 42);
  const FeatureHalves b = split_feature_halves(informative, 42);
  EXPECT_EQ(a.columns, b.columns);
  ASSERT_TRUE(a.usable());
  EXPECT_EQ(a.columns[0].size(), 3u);
  EXPECT_EQ(a.columns[1].size(), 4u);
  std::vector<int32_t> all = a.columns[0];
  all.insert(all.end(), a.columns[1].begin(), a.columns[1].end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, informative);
  EXPECT_TRUE(std::is_sorted(a.columns[0].begin(), a.columns[0].end()));
  bool other_seed_differs = false;
  for (uint64_t seed = 1; seed < 20 && !other_seed_differs; ++seed) {
    other_seed_differs = split_feature_halves(informative, seed).columns != a.columns;
  }
  EXPECT_TRUE(other_seed_differs);
  EXPECT_FALSE(split_feature_halves({4}, 42).usable());
  EXPECT_FALSE(split_feature_halves({}, 42).usable());
}

TEST(Cohesion, NetworkStaysInBothHalvesCommunityOnlyInItsOwn) {
  const World w = make_world(7);
  CohesionOptions options;
  options.max_queries = 1000;  // every member
  const auto c = split_cohesion(test_backend(), w.matrix.view(), Metric::cosine, respect_halves(),
                                w.label, 2, options);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_GE(c[0][0], 0.95);
  EXPECT_GE(c[0][1], 0.95);
  EXPECT_GE(c[1][0], 0.7);  // the half with the community's own respect
  EXPECT_LE(c[1][1], 0.1);  // the other half: its members scatter among everyone
}

TEST(Cohesion, SampledMembersGiveTheSameVerdict) {
  const World w = make_world(11);
  CohesionOptions all, few;
  all.max_queries = 1000;  // every member
  few.max_queries = 7;
  const auto a = split_cohesion(test_backend(), w.matrix.view(), Metric::cosine, respect_halves(),
                                w.label, 2, all);
  const auto b = split_cohesion(test_backend(), w.matrix.view(), Metric::cosine, respect_halves(),
                                w.label, 2, few);
  EXPECT_GE(std::min(b[0][0], b[0][1]), 0.8);
  EXPECT_LE(std::min(b[1][0], b[1][1]), 0.2);
  // Deterministic: the same call gives the same numbers.
  EXPECT_EQ(a, split_cohesion(test_backend(), w.matrix.view(), Metric::cosine, respect_halves(),
                              w.label, 2, all));
}

TEST(Cohesion, ThePartitionedSearchOfLargeInputsGivesTheSameVerdicts) {
  const World w = make_world(13);
  CohesionOptions exact, partitioned;
  exact.max_queries = partitioned.max_queries = 1000;
  partitioned.exact_max_rows = 100;  // 3,000 rows: searched through the IVF partition
  const auto a = split_cohesion(test_backend(), w.matrix.view(), Metric::cosine, respect_halves(),
                                w.label, 2, exact);
  const auto b = split_cohesion(test_backend(), w.matrix.view(), Metric::cosine, respect_halves(),
                                w.label, 2, partitioned);
  for (int s = 0; s < 2; ++s) {
    for (int h = 0; h < 2; ++h) EXPECT_NEAR(a[s][h], b[s][h], 0.1) << "set " << s << " half " << h;
  }
  EXPECT_GE(std::min(b[0][0], b[0][1]), 0.9);
  EXPECT_LE(std::min(b[1][0], b[1][1]), 0.2);
  EXPECT_EQ(b, split_cohesion(test_backend(), w.matrix.view(), Metric::cosine, respect_halves(),
                              w.label, 2,
                              partitioned));  // seeded: the same numbers again
}

TEST(Cohesion, ChanceSetOfTheSmoothPopulationIsNotCohesive) {
  const World w = make_world(3);
  // Rows [200, 260) are ordinary accounts: labelled as a set, they are not a network anywhere.
  std::vector<int64_t> label(w.label.size(), -1);
  for (int64_t i = 200; i < 260; ++i) label[i] = 0;
  const auto c = split_cohesion(test_backend(), w.matrix.view(), Metric::cosine,
                                split_feature_halves({0, 1, 2, 3, 4, 5, 6, 7}, 42), label, 1, {});
  EXPECT_LE(std::max(c[0][0], c[0][1]), 0.1);
}

TEST(Cohesion, ApplyDropsTheCommunityAndRenumbers) {
  const World w = make_world(5);
  Clusters clusters;
  // Cluster 0 is the community, cluster 1 the network: the network must become cluster 0.
  clusters.label.assign(w.label.size(), -1);
  for (size_t i = 0; i < w.label.size(); ++i) {
    if (w.label[i] >= 0) clusters.label[i] = 1 - w.label[i];
  }
  clusters.clusters.resize(2);
  clusters.clusters[0].id = 0;
  clusters.clusters[0].size = 80;
  clusters.clusters[1].id = 1;
  clusters.clusters[1].size = 40;
  SweepConfig config;
  // Every column informative; whatever the seeded 4 + 4 split, one half holds at most one of
  // the community's three alike features, and there its members scatter.
  apply_cohesion_test(test_backend(), clusters, w.matrix.view(), Metric::cosine,
                      {0, 1, 2, 3, 4, 5, 6, 7}, config);
  ASSERT_EQ(clusters.clusters.size(), 1u);
  EXPECT_EQ(clusters.rejected_not_cohesive, 1);
  EXPECT_EQ(clusters.clusters[0].id, 0);
  EXPECT_EQ(clusters.clusters[0].size, 40);
  EXPECT_GE(clusters.clusters[0].cohesion, 0.8);
  EXPECT_EQ(clusters.clusters[0].decided_by, "tightness+cohesion");
  for (size_t i = 0; i < w.label.size(); ++i) {
    EXPECT_EQ(clusters.label[i], w.label[i] == 0 ? 0 : -1) << "row " << i;
  }
}

TEST(Cohesion, OffOrNotApplicableKeepsEverything) {
  const World w = make_world(5);
  Clusters clusters;
  clusters.label = w.label;
  clusters.clusters.resize(2);
  SweepConfig config;
  config.clusters.min_cohesion = 0;
  apply_cohesion_test(test_backend(), clusters, w.matrix.view(), Metric::cosine,
                      {0, 1, 2, 3, 4, 5, 6, 7}, config);
  EXPECT_EQ(clusters.clusters.size(), 2u);
  EXPECT_TRUE(std::isnan(clusters.clusters[0].cohesion));
  config.clusters.min_cohesion = 0.5;
  apply_cohesion_test(test_backend(), clusters, w.matrix.view(), Metric::cosine, {3},
                      config);  // one column
  EXPECT_EQ(clusters.clusters.size(), 2u);
  EXPECT_EQ(clusters.label, w.label);
}

}  // namespace
}  // namespace unfriend
