// `unfriend evaluate`: pair counting and ARI against known values and a brute-force oracle,
// metrics of hand-made labels, id matching between files, and malformed inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "host/core/error.h"
#include "host/eval/evaluate.h"
#include "host/eval/pair_counts.h"
#include "host/io/h5_writer.h"
#include "host/synth/synth.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

using Labels = std::vector<int64_t>;

// The O(n^2) definition: every pair, checked on both sides. Negative labels never pair.
PairCounts brute_force_pairs(const Labels& a, const Labels& b) {
  PairCounts c;
  c.elements = static_cast<int64_t>(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = i + 1; j < a.size(); ++j) {
      const bool same_a = a[i] >= 0 && a[i] == a[j];
      const bool same_b = b[i] >= 0 && b[i] == b[j];
      ++c.total_pairs;
      c.pairs_a += same_a;
      c.pairs_b += same_b;
      c.pairs_both += same_a && same_b;
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// Adjusted Rand index

TEST(AdjustedRandIndex, IdenticalPartitionsScoreOne) {
  const Labels a = {0, 0, 1, 1, 1, 2, -1, 3, 3};
  EXPECT_DOUBLE_EQ(adjusted_rand_index(a, a), 1.0);
}

TEST(AdjustedRandIndex, RelabelledPartitionsScoreOne) {
  const Labels a = {0, 0, 1, 1, 1, 2, 2, -1};
  const Labels b = {70, 70, 5, 5, 5, 9000000000LL, 9000000000LL, -1};
  EXPECT_DOUBLE_EQ(adjusted_rand_index(a, b), 1.0);
  // A singleton spelled as a label of its own or as "no group" is the same partition.
  const Labels c = {0, 0, 1, 1, 1, 2, 2, 17};
  EXPECT_DOUBLE_EQ(adjusted_rand_index(a, c), 1.0);
}

TEST(AdjustedRandIndex, HandComputedCase) {
  // n = 4, 6 pairs. a has 1 pair, b has 2, they share 1: expected 1*2/6 = 1/3, max 1.5,
  // ARI = (1 - 1/3) / (1.5 - 1/3) = 4/7 (scikit-learn gives 0.5714 too).
  const Labels a = {0, 0, 1, 2};
  const Labels b = {0, 0, 1, 1};
  const PairCounts c = pair_counts(a, b);
  EXPECT_EQ(c.total_pairs, 6u);
  EXPECT_EQ(c.pairs_a, 1u);
  EXPECT_EQ(c.pairs_b, 2u);
  EXPECT_EQ(c.pairs_both, 1u);
  EXPECT_NEAR(adjusted_rand_index(a, b), 4.0 / 7.0, 1e-12);
  EXPECT_NEAR(adjusted_rand_index(b, a), 4.0 / 7.0, 1e-12);
}

TEST(AdjustedRandIndex, SingletonsAgainstOneGroupScoreZero) {
  const Labels singletons = {-1, -1, -1, -1};
  const Labels one_group = {0, 0, 0, 0};
  EXPECT_DOUBLE_EQ(adjusted_rand_index(singletons, one_group), 0.0);
  EXPECT_DOUBLE_EQ(adjusted_rand_index(one_group, Labels{0, 1, 2, 3}), 0.0);
  // Nothing grouped on either side: identical trivial partitions.
  EXPECT_DOUBLE_EQ(adjusted_rand_index(singletons, Labels{-1, 5, 6, -1}), 1.0);
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{}, Labels{}), 1.0);
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{3}, Labels{-1}), 1.0);
}

TEST(AdjustedRandIndex, WorseThanChanceIsNegative) {
  // Pairs on each side never coincide.
  EXPECT_LT(adjusted_rand_index(Labels{0, 0, 1, 1}, Labels{0, 1, 0, 1}), 0.0);
}

TEST(AdjustedRandIndex, MatchesBruteForcePairCounts) {
  std::mt19937_64 rng(2024);
  for (int64_t n : {1, 2, 3, 17, 251, 517}) {
    std::uniform_int_distribution<int64_t> label_a(-3, 9), label_b(-1, 4);
    Labels a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
    for (auto& v : a) v = label_a(rng);
    for (auto& v : b) v = label_b(rng);
    const PairCounts fast = pair_counts(a, b);
    const PairCounts slow = brute_force_pairs(a, b);
    EXPECT_EQ(fast.total_pairs, slow.total_pairs) << n;
    EXPECT_EQ(fast.pairs_a, slow.pairs_a) << n;
    EXPECT_EQ(fast.pairs_b, slow.pairs_b) << n;
    EXPECT_EQ(fast.pairs_both, slow.pairs_both) << n;
    const double ari = adjusted_rand_index(a, b);
    EXPECT_LE(ari, 1.0);
    EXPECT_GE(ari, -1.0);
  }
}

TEST(AdjustedRandIndex, LargePartitionsDoNotOverflow) {
  // Two big groups of two million: C(n, 2) products exceed 2^64.
  const size_t n = 4000000;
  Labels a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = i < n / 2 ? 0 : 1;
    b[i] = i < n / 2 ? 7 : 8;
  }
  EXPECT_NEAR(adjusted_rand_index(a, b), 1.0, 1e-12);
  b[0] = 8;  // one account moved: still almost 1
  const double ari = adjusted_rand_index(a, b);
  EXPECT_LT(ari, 1.0);
  EXPECT_GT(ari, 0.999);
}

TEST(AdjustedRandIndex, DifferentLengthsThrow) {
  EXPECT_THROW(pair_counts(Labels{1, 2}, Labels{1}), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Metrics of aligned labels

// Ten accounts: a farm of 4 (rows 0-3), a duplicate pair (4, 5), two dense-genuine (6, 7), two
// genuine (8, 9).
EvalLabels hand_made_labels() {
  EvalLabels l;
  l.truth_farm = {3, 3, 3, 3, -1, -1, -1, -1, -1, -1};
  l.truth_dup_group = {-1, -1, -1, -1, 0, 0, -1, -1, -1, -1};
  l.truth_kind = {2, 2, 2, 2, 4, 4, 1, 1, 0, 0};
  // The engine: finds 3 farm accounts as cluster 10, wrongly adds one dense account to it,
  // finds the duplicate pair, leaves row 9 not assessed.
  l.cluster = {10, 10, 10, -1, -1, -1, 10, -1, -1, -2};
  l.dup_group = {-1, -1, -1, -1, 1, 1, -1, -1, -1, -2};
  return l;
}

TEST(EvalMetrics, HandMadeCase) {
  const EvalReport r = compute_metrics(hand_made_labels());
  EXPECT_EQ(r.matched, 10);
  EXPECT_EQ(r.not_assessed, 1);
  EXPECT_EQ(r.flagged, 6);
  EXPECT_EQ(r.truth_positive, 6);
  EXPECT_EQ(r.true_positive, 5);
  EXPECT_EQ(r.false_positive, 1);
  EXPECT_EQ(r.false_negative, 1);
  EXPECT_EQ(r.true_negative, 3);
  EXPECT_NEAR(*r.precision, 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(*r.recall, 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(*r.f1, 5.0 / 6.0, 1e-12);

  ASSERT_EQ(r.kinds.size(), 5u);
  EXPECT_EQ(r.kinds[0].name, "genuine");
  EXPECT_EQ(r.kinds[0].accounts, 2);
  EXPECT_EQ(r.kinds[0].flagged, 0);
  EXPECT_EQ(r.kinds[1].accounts, 2);
  EXPECT_EQ(r.kinds[1].flagged, 1);
  EXPECT_NEAR(*r.dense_false_positive_rate, 0.5, 1e-12);
  EXPECT_NEAR(*r.kinds[2].flag_rate, 0.75, 1e-12);
  EXPECT_FALSE(r.kinds[3].flag_rate.has_value());  // no mass-report accounts
  EXPECT_NEAR(*r.kinds[4].flag_rate, 1.0, 1e-12);

  EXPECT_EQ(r.predicted_clusters, 1);
  EXPECT_EQ(r.truth_farms, 1);
  EXPECT_EQ(r.farms_detected, 1);  // 3 of 4 flagged
  // Cluster {0,1,2,6}: 6 pairs; farm {0,1,2,3}: 6 pairs; shared {0,1,2}: 3 pairs; 45 in all.
  EXPECT_EQ(r.farm_pairs.predicted_pairs, 6u);
  EXPECT_EQ(r.farm_pairs.truth_pairs, 6u);
  EXPECT_EQ(r.farm_pairs.matched_pairs, 3u);
  EXPECT_NEAR(*r.farm_pairs.precision, 0.5, 1e-12);
  EXPECT_NEAR(*r.farm_pairs.recall, 0.5, 1e-12);
  const double expected = 6.0 * 6.0 / 45.0;
  EXPECT_NEAR(r.cluster_ari, (3.0 - expected) / (6.0 - expected), 1e-12);

  EXPECT_EQ(r.predicted_dup_groups, 1);
  EXPECT_EQ(r.truth_dup_groups, 1);
  EXPECT_EQ(r.dup_pairs.matched_pairs, 1u);
  EXPECT_NEAR(*r.dup_pairs.recall, 1.0, 1e-12);
  EXPECT_NEAR(*r.dup_pairs.precision, 1.0, 1e-12);
}

TEST(EvalMetrics, NothingFlaggedLeavesPrecisionUndefined) {
  EvalLabels l = hand_made_labels();
  std::fill(l.cluster.begin(), l.cluster.end(), -1);
  std::fill(l.dup_group.begin(), l.dup_group.end(), -1);
  const EvalReport r = compute_metrics(l);
  EXPECT_EQ(r.flagged, 0);
  EXPECT_FALSE(r.precision.has_value());
  EXPECT_NEAR(*r.recall, 0.0, 1e-12);
  EXPECT_FALSE(r.f1.has_value());
  EXPECT_EQ(r.farms_detected, 0);
  EXPECT_DOUBLE_EQ(r.cluster_ari, 0.0);
  EXPECT_FALSE(r.dup_pairs.precision.has_value());
  EXPECT_NEAR(*r.dup_pairs.recall, 0.0, 1e-12);
}

TEST(EvalMetrics, LengthMismatchAndBadKindThrow) {
  EvalLabels l = hand_made_labels();
  l.cluster.pop_back();
  EXPECT_THROW(compute_metrics(l), InputError);
  l = hand_made_labels();
  l.truth_kind[3] = 9;
  EXPECT_THROW(compute_metrics(l), InputError);
}

TEST(EvalRender, TextAndJson) {
  EvalReport r = compute_metrics(hand_made_labels());
  r.result_file = "out.h5";
  r.truth_file = "truth.h5";
  const std::string text = render_text(r);
  EXPECT_NE(text.find("dense_genuine"), std::string::npos);
  EXPECT_NE(text.find("mass_report"), std::string::npos);
  EXPECT_NE(text.find("n/a"), std::string::npos);  // mass_report rate
  EXPECT_NE(text.find("0.8333"), std::string::npos);

  const nlohmann::json j = nlohmann::json::parse(render_json(r));
  EXPECT_EQ(j.at("matched").get<int64_t>(), 10);
  EXPECT_EQ(j.at("not_assessed").get<int64_t>(), 1);
  EXPECT_EQ(j.at("accounts").at("true_positive").get<int64_t>(), 5);
  EXPECT_NEAR(j.at("accounts").at("precision").get<double>(), 5.0 / 6.0, 1e-12);
  EXPECT_TRUE(j.at("kinds").at("mass_report").at("flag_rate").is_null());
  EXPECT_NEAR(j.at("dense_false_positive_rate").get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(j.at("clusters").at("ari").get<double>(), r.cluster_ari, 1e-12);
  EXPECT_EQ(j.at("duplicates").at("pairs").at("truth_pairs").get<uint64_t>(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Files: matching by id

struct Files {
  std::string result;
  std::string truth;
};

// The hand-made case as two files: the truth in one id order, the result in a shuffled one.
Files write_hand_made(const std::string& dir, bool with_dup = true, bool with_kind = true) {
  const EvalLabels l = hand_made_labels();
  const Labels ids = {501, 17, 9000000123LL, 44, 3, 1000, 7, 88, 12, 640};
  Files f{dir + "/result.h5", dir + "/truth.h5"};
  {
    H5Writer w(f.truth, true);
    w.write_int64("/accounts/id", ids);
    w.write_int64("/truth/farm", l.truth_farm);
    if (with_dup) w.write_int64("/truth/dup_group", l.truth_dup_group);
    if (with_kind) w.write_int32("/truth/kind", l.truth_kind);
    w.commit();
  }
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(5));
  Labels shuffled_ids, cluster, dup;
  std::vector<float> score;
  for (size_t i : order) {
    shuffled_ids.push_back(ids[i]);
    cluster.push_back(l.cluster[i]);
    dup.push_back(l.dup_group[i]);
    score.push_back(l.cluster[i] >= 0 ? 0.9f : 0.1f);
  }
  {
    H5Writer w(f.result, true);
    w.write_int64("/accounts/id", shuffled_ids);
    w.write_int64("/labels/cluster", cluster);
    w.write_int64("/labels/dup_group", dup);
    w.write_float32("/labels/score", score);
    w.commit();
  }
  return f;
}

TEST(Evaluate, MatchesShuffledRowsById) {
  const Files f = write_hand_made(test::scratch_dir());
  const EvalReport r = evaluate(f.result, f.truth);
  EXPECT_EQ(r.matched, 10);
  EXPECT_EQ(r.true_positive, 5);
  EXPECT_EQ(r.false_positive, 1);
  EXPECT_EQ(r.false_negative, 1);
  EXPECT_EQ(r.true_negative, 3);
  EXPECT_NEAR(*r.precision, 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(*r.dense_false_positive_rate, 0.5, 1e-12);
  EXPECT_EQ(r.farm_pairs.matched_pairs, 3u);
  EXPECT_NEAR(*r.dup_pairs.recall, 1.0, 1e-12);
  EXPECT_FALSE(r.truth_kind_derived);
  EXPECT_FALSE(r.truth_dup_missing);
  EXPECT_EQ(r.result_file, f.result);
}

TEST(Evaluate, MissingTruthDatasetsAreDerived) {
  const Files f = write_hand_made(test::scratch_dir(), false, false);
  const EvalReport r = evaluate(f.result, f.truth);
  EXPECT_TRUE(r.truth_kind_derived);
  EXPECT_TRUE(r.truth_dup_missing);
  // Without duplicate truth the pair (4, 5) is a false positive; kinds: 4 farm, 6 genuine.
  EXPECT_EQ(r.truth_positive, 4);
  EXPECT_EQ(r.true_positive, 3);
  EXPECT_EQ(r.false_positive, 3);
  EXPECT_EQ(r.kinds[2].accounts, 4);
  EXPECT_EQ(r.kinds[0].accounts, 6);
  EXPECT_EQ(r.kinds[1].accounts, 0);
  EXPECT_FALSE(r.dense_false_positive_rate.has_value());
  EXPECT_FALSE(r.dup_pairs.recall.has_value());
  EXPECT_NE(render_text(r).find("no /truth/kind"), std::string::npos);
}

// Expects an InputError whose one-line message contains every fragment.
void expect_input_error(const Files& f, const std::vector<std::string>& fragments) {
  try {
    evaluate(f.result, f.truth);
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const std::string& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos) << message;
    }
  }
}

TEST(Evaluate, IdMissingFromTruthIsAnError) {
  const std::string dir = test::scratch_dir();
  Files f = write_hand_made(dir);
  H5Writer w(f.result, true);
  w.write_int64("/accounts/id", Labels{501, 17, 424242});
  w.write_int64("/labels/cluster", Labels{-1, -1, -1});
  w.write_int64("/labels/dup_group", Labels{-1, -1, -1});
  w.commit();
  expect_input_error(f, {f.result, "424242", "is not in", f.truth});
}

TEST(Evaluate, IdMissingFromResultIsAnError) {
  const std::string dir = test::scratch_dir();
  Files f = write_hand_made(dir);
  H5Writer w(f.result, true);
  w.write_int64("/accounts/id", Labels{501, 17, 9000000123LL});
  w.write_int64("/labels/cluster", Labels{-1, -1, -1});
  w.write_int64("/labels/dup_group", Labels{-1, -1, -1});
  w.commit();
  expect_input_error(f, {f.truth, "is not in", f.result, "3 of 10"});
}

TEST(Evaluate, MalformedResultsAreErrors) {
  const std::string dir = test::scratch_dir();
  Files f = write_hand_made(dir);
  {
    H5Writer w(f.result, true);
    w.write_int64("/accounts/id", Labels{1, 2, 1});
    w.write_int64("/labels/cluster", Labels{-1, -1, -1});
    w.write_int64("/labels/dup_group", Labels{-1, -1, -1});
    w.commit();
  }
  expect_input_error(f, {f.result, "repeats id 1"});
  {
    H5Writer w(f.result, true);
    w.write_int64("/accounts/id", Labels{1, 2, 3});
    w.write_int64("/labels/cluster", Labels{-1, -1});
    w.write_int64("/labels/dup_group", Labels{-1, -1, -1});
    w.commit();
  }
  expect_input_error(f, {f.result, "/labels/cluster has 2 values"});
  {
    H5Writer w(f.result, true);
    w.write_int64("/accounts/id", Labels{1, 2, 3});
    w.write_int64("/labels/cluster", Labels{-1, -7, -1});
    w.write_int64("/labels/dup_group", Labels{-1, -1, -1});
    w.commit();
  }
  expect_input_error(f, {f.result, "invalid value -7"});
  {
    H5Writer w(f.result, true);
    w.write_int64("/accounts/id", Labels{1, 2, 3});
    w.write_int64("/labels/cluster", Labels{-1, -1, -1});
    w.commit();
  }
  expect_input_error(f, {f.result, "/labels/dup_group"});
}

TEST(Evaluate, BadTruthKindIsAnError) {
  const std::string dir = test::scratch_dir();
  Files f = write_hand_made(dir);
  H5Writer w(f.truth, true);
  w.write_int64("/accounts/id", Labels{501, 17});
  w.write_int64("/truth/farm", Labels{-1, -1});
  w.write_int32("/truth/kind", std::vector<int32_t>{0, 6});
  w.commit();
  expect_input_error(f, {f.truth, "/truth/kind has code 6"});
}

// ---------------------------------------------------------------------------------------------
// With the generator

TEST(Evaluate, PerfectResultOnSyntheticData) {
  const std::string dir = test::scratch_dir();
  SynthParams p;
  p.rows = 5003;
  p.dims = 8;
  p.seed = 77;
  const SynthData d = generate_synth(p);
  write_synth(dir + "/truth.h5", d);
  // A perfect engine, writing its rows in reverse order.
  Labels ids(d.ids.rbegin(), d.ids.rend());
  Labels cluster(d.farm.rbegin(), d.farm.rend());
  Labels dup(d.dup_group.rbegin(), d.dup_group.rend());
  {
    H5Writer w(dir + "/result.h5", false);
    w.write_int64("/accounts/id", ids);
    w.write_int64("/labels/cluster", cluster);
    w.write_int64("/labels/dup_group", dup);
    w.commit();
  }
  const EvalReport r = evaluate(dir + "/result.h5", dir + "/truth.h5");
  EXPECT_EQ(r.matched, 5003);
  EXPECT_DOUBLE_EQ(*r.precision, 1.0);
  EXPECT_DOUBLE_EQ(*r.recall, 1.0);
  EXPECT_DOUBLE_EQ(r.cluster_ari, 1.0);
  EXPECT_DOUBLE_EQ(*r.dup_pairs.recall, 1.0);
  EXPECT_DOUBLE_EQ(*r.dup_pairs.precision, 1.0);
  EXPECT_DOUBLE_EQ(*r.dense_false_positive_rate, 0.0);
  EXPECT_EQ(r.truth_farms, d.summary.farms + d.summary.mass_report_networks);
  EXPECT_EQ(r.farms_detected, r.truth_farms);
  EXPECT_EQ(r.kinds[2].accounts, d.summary.kind_rows[2]);

  // Merging every farm into one cluster keeps recall but loses ARI.
  for (int64_t& c : cluster) c = c >= 0 ? 0 : -1;
  {
    H5Writer w(dir + "/merged.h5", false);
    w.write_int64("/accounts/id", ids);
    w.write_int64("/labels/cluster", cluster);
    w.write_int64("/labels/dup_group", dup);
    w.commit();
  }
  const EvalReport merged = evaluate(dir + "/merged.h5", dir + "/truth.h5");
  EXPECT_DOUBLE_EQ(*merged.recall, 1.0);
  EXPECT_LT(merged.cluster_ari, 0.9);
}

}  // namespace
}  // namespace unfriend
