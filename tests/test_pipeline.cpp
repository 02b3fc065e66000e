// Stage tests of the sweep: configuration, preprocessing, density model, duplicate groups and
// density clusters on hand-made data where the right answer is known.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <tuple>

#include "host/core/config.h"
#include "host/core/error.h"
#include "host/cpu/cpu_backend.h"
#include "host/pipeline/density.h"
#include "host/pipeline/groups.h"
#include "host/pipeline/preprocess.h"
#include "host/pipeline/touching_candidates.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

// ---------------------------------------------------------------------------------------------
// Configuration

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Config, DefaultTomlEqualsBuiltInDefaults) {
  SweepConfig file = load_config(std::string(UNFRIEND_SOURCE_DIR) + "/configs/default.toml");
  EXPECT_EQ(config_to_json(file), config_to_json(SweepConfig{}));
}

TEST(Config, DefaultTomlMentionsEveryKey) {
  // Every knob is documented in configs/default.toml: a key added to the loader must appear.
  std::string text = read_text(std::string(UNFRIEND_SOURCE_DIR) + "/configs/default.toml");
  nlohmann::json j = config_to_json(SweepConfig{});
  for (auto& [section, keys] : j.items()) {
    EXPECT_NE(text.find("[" + section + "]"), std::string::npos) << section;
    for (auto& [key, value] : keys.items()) {
      EXPECT_NE(text.find("\n" + key + " = "), std::string::npos) << section << "." << key;
    }
  }
}

TEST(Config, OverridesAreApplied) {
  SweepConfig c = parse_config(
      "[knn]\nk = 16\nmode = \"hnsw\"\n[clusters]\nmin_pts = 5\neps_similarity = 0.9\n"
      "[run]\nmax_memory = \"2G\"\nbackend = \"cpu\"\n",
      "test.toml");
  EXPECT_EQ(c.knn.k, 16);
  EXPECT_EQ(c.knn.mode, KnnMode::hnsw);
  EXPECT_EQ(c.clusters.min_pts, 5);
  EXPECT_FALSE(c.clusters.eps_similarity.automatic);
  EXPECT_DOUBLE_EQ(c.clusters.eps_similarity.value, 0.9);
  EXPECT_EQ(c.run.max_memory_bytes, 2LL << 30);
  EXPECT_EQ(c.run.backend, BackendKind::cpu);
}

void expect_config_error(const std::string& text, const std::string& fragment) {
  try {
    parse_config(text, "bad.toml");
    FAIL() << "accepted: " << text;
  } catch (const InputError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("bad.toml"), std::string::npos) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(Config, UnknownKeysAndBadValuesAreNamed) {
  expect_config_error("[knn]\nkk = 3\n", "knn.kk");
  expect_config_error("[nonsense]\nx = 1\n", "nonsense.x");
  expect_config_error("top = 1\n", "top");
  expect_config_error("[knn]\nk = \"many\"\n", "knn.k");
  expect_config_error("[knn]\nk = 0\n", "knn.k");
  expect_config_error("[knn]\nmode = \"fast\"\n", "knn.mode");
  expect_config_error("[clusters]\nmin_pts = 64\n", "clusters.min_pts");
  expect_config_error("[clusters]\neps_similarity = \"loose\"\n", "clusters.eps_similarity");
  expect_config_error("[input]\non_invalid = \"ignore\"\n", "input.on_invalid");
  expect_config_error("[run]\nmax_memory = \"lots\"\n", "run.max_memory");
  expect_config_error("[knn\nk = 3\n", "bad.toml:1");
}

TEST(Config, ParseBytes) {
  EXPECT_EQ(parse_bytes("1000", "x"), 1000);
  EXPECT_EQ(parse_bytes("4K", "x"), 4096);
  EXPECT_EQ(parse_bytes("512M", "x"), 512LL << 20);
  EXPECT_EQ(parse_bytes("3GB", "x"), 3LL << 30);
  EXPECT_THROW(parse_bytes("-1G", "x"), InputError);
  EXPECT_THROW(parse_bytes("G", "x"), InputError);
}

// ---------------------------------------------------------------------------------------------
// Preprocessing

TEST(Preprocess, StatsStandardizeNormalize) {
  Matrix m(4, 3);
  float values[] = {1, 10, 5, 2, 20, 5, 3, 30, 5, 4, 40, 5};
  std::copy(values, values + 12, m.values.begin());
  FeatureStats stats = column_stats(m);
  EXPECT_EQ(stats.sample_rows, 4);
  // Four rows: nothing is winsorised, so these are the plain mean and deviation.
  EXPECT_DOUBLE_EQ(stats.location[0], 2.5);
  EXPECT_DOUBLE_EQ(stats.location[1], 25);
  EXPECT_NEAR(stats.scale[0], std::sqrt(1.25), 1e-12);
  EXPECT_EQ(stats.scale[2], 0);  // constant feature
  EXPECT_EQ(stats.constant_features, 1);
  standardize(m, stats, 10.0);
  // Columns 0 and 1 are proportional: identical after standardisation; column 2 is zeroed.
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(m.row(i)[0], m.row(i)[1], 1e-6);
    EXPECT_EQ(m.row(i)[2], 0.f);
  }
  normalize_for_metric(m, Metric::cosine);
  for (int i = 0; i < 4; ++i) {
    double n2 = 0;
    for (int j = 0; j < 3; ++j) n2 += m.row(i)[j] * m.row(i)[j];
    EXPECT_NEAR(n2, 1.0, 1e-6);
  }
}

TEST(Preprocess, StatsAreRobustToExtremeRows) {
  // 10 rows of the float32 maximum among 20,000: the winsorised mean and deviation barely move,
  // and the extreme values are clipped instead of squashing every other row to one point.
  auto values = test::random_normal(20000, 5, 7);
  Matrix clean(20000, 5);
  clean.values = values;
  Matrix dirty = clean;
  for (int64_t r = 0; r < 10; ++r) {
    for (int64_t j = 0; j < 5; ++j) dirty.row(r * 997)[j] = 3.4e38f;
  }
  const FeatureStats a = column_stats(clean), b = column_stats(dirty);
  for (int j = 0; j < 5; ++j) {
    EXPECT_NEAR(a.location[j], 0, 0.03);
    EXPECT_NEAR(a.scale[j], 1, 0.03);
    EXPECT_NEAR(b.location[j], a.location[j], 0.01);
    EXPECT_NEAR(b.scale[j], a.scale[j], 0.01);
  }
  standardize(dirty, b, 10.0);
  EXPECT_EQ(dirty.row(0)[0], 10.f);
  EXPECT_LT(std::abs(dirty.row(1)[0]), 6.f);
}

TEST(Preprocess, StatsScaleExactlyWithPowersOfTwo) {
  // A sparse feature (most rows zero), a dense one and one scaled by 2^-100 and 2^100: the
  // statistics scale exactly, and the standardised values are the same bits.
  auto values = test::random_normal(3000, 3, 9);
  Matrix m(3000, 3);
  m.values = values;
  for (int64_t r = 0; r < 3000; ++r) m.row(r)[2] = r % 20 == 0 ? std::abs(m.row(r)[2]) + 1 : 0.f;
  const FeatureStats base = column_stats(m);
  EXPECT_GT(base.scale[2], 0);  // sparse, yet not constant
  Matrix reference = m;
  standardize(reference, base, 10.0);
  for (float factor : {0x1p-100f, 0x1p-30f, 0x1p30f, 0x1p100f}) {
    Matrix scaled = m;
    for (float& v : scaled.values) v *= factor;
    const FeatureStats s = column_stats(scaled);
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(s.location[j], base.location[j] * factor);
      EXPECT_EQ(s.scale[j], base.scale[j] * factor);
    }
    standardize(scaled, s, 10.0);
    EXPECT_EQ(scaled.values, reference.values) << "factor " << factor;
  }
}

// ---------------------------------------------------------------------------------------------
// Density model, duplicate groups and clusters

// A graph from explicit undirected cosine edges; each row keeps its k best (padding elsewhere).
KnnGraph graph_from_edges(int64_t n, int k, const std::vector<std::tuple<int, int, float>>& edges) {
  std::vector<std::vector<std::pair<float, int64_t>>> lists(n);
  for (auto [a, b, s] : edges) {
    lists[a].push_back({s, b});
    lists[b].push_back({s, a});
  }
  KnnGraph g;
  g.rows = n;
  g.k = k;
  g.neighbors.assign(n * k, -1);
  g.similarity.assign(n * k, -INFINITY);
  for (int64_t i = 0; i < n; ++i) {
    std::sort(lists[i].begin(), lists[i].end(), [](auto x, auto y) {
      return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    for (int j = 0; j < k && j < static_cast<int>(lists[i].size()); ++j) {
      g.neighbors[i * k + j] = lists[i][j].second;
      g.similarity[i * k + j] = lists[i][j].first;
    }
  }
  return g;
}

TEST(Groups, DuplicateGroupsFromThreshold) {
  // 0-1-2 near-identical chain, 3-4 identical, 5 alone (only loose edges).
  KnnGraph g = graph_from_edges(
      6, 3,
      {{0, 1, 0.9999f}, {1, 2, 0.9998f}, {3, 4, 1.0f}, {2, 3, 0.5f}, {4, 5, 0.4f}, {0, 5, 0.3f}});
  std::vector<float> d = edge_distances(g, Metric::cosine, {});
  DensityModel model;
  model.duplicate_distance = std::sqrt(2 - 2 * 0.999);
  auto backend = make_cpu_backend({});
  DupGroups groups = find_duplicate_groups(*backend, g, d, Metric::cosine, model);
  ASSERT_EQ(groups.groups.size(), 2u);
  EXPECT_EQ(groups.groups[0].size, 3);  // largest first
  EXPECT_EQ(groups.groups[0].representative, 0);
  EXPECT_EQ(groups.groups[1].size, 2);
  EXPECT_FLOAT_EQ(groups.groups[1].mean_similarity, 1.0f);
  EXPECT_EQ(groups.label, (std::vector<int64_t>{0, 0, 0, 1, 1, -1}));
}

// Points on the unit sphere in D dims: a genuine population with real variety (communities of
// different spreads), a "dense genuine" community a little tighter than the tightest of them,
// and an abnormally tight farm.
struct Planted {
  Matrix matrix;
  std::vector<int> kind;  // 0 genuine, 1 dense genuine, 2 farm
};

Planted planted_population(uint64_t seed) {
  const int d = 16, communities = 12, per_community = 150, dense = 300, farm = 120;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> uniform(0.f, 1.f);
  Planted p;
  p.matrix = Matrix(communities * per_community + dense + farm, d);
  int64_t row = 0;
  auto add_group = [&](int count, float spread, int kind) {
    std::vector<float> centre(d);
    for (auto& v : centre) v = 1.5f * normal(rng);
    for (int i = 0; i < count; ++i, ++row) {
      for (int j = 0; j < d; ++j) p.matrix.row(row)[j] = centre[j] + spread * normal(rng);
      p.kind.push_back(kind);
    }
  };
  for (int c = 0; c < communities; ++c) add_group(per_community, 0.55f + 0.45f * uniform(rng), 0);
  add_group(dense, 0.4f, 1);
  add_group(farm, 0.04f, 2);
  normalize_for_metric(p.matrix, Metric::cosine);
  return p;
}

TEST(Groups, FindsTheTightFarmAndNotTheDenseCommunity) {
  Planted p = planted_population(3);
  auto backend = make_cpu_backend({});
  SweepConfig config;
  KnnParams params;
  params.k = 16;
  params.mode = KnnMode::exact;
  KnnGraph graph = backend->knn_graph(p.matrix.view(), params, nullptr);
  std::vector<float> d = edge_distances(graph, Metric::cosine, {});
  DensityModel model = fit_density_model(graph, d, Metric::cosine, config);
  EXPECT_GT(model.eps, 0);
  EXPECT_LT(model.eps, std::exp(model.genuine_log_mode));
  Clusters clusters = find_clusters(*backend, graph, d, Metric::cosine, model, config);
  int farm_hits = 0, false_hits = 0;
  for (size_t i = 0; i < p.kind.size(); ++i) {
    bool flagged = clusters.label[i] >= 0;
    if (p.kind[i] == 2)
      farm_hits += flagged;
    else
      false_hits += flagged;
  }
  EXPECT_GE(farm_hits, 114);  // >= 95% of the farm
  EXPECT_EQ(false_hits, 0) << "eps " << model.eps << " (" << model.eps_rule << "), genuine "
                           << std::exp(model.genuine_log_mode) << " spread "
                           << model.genuine_log_spread;
  ASSERT_GE(clusters.clusters.size(), 1u);
  EXPECT_EQ(clusters.clusters[0].kind, "click_farm");
  EXPECT_GE(clusters.clusters[0].tightness, config.clusters.min_tightness);
}

TEST(Groups, NoFarmMeansNoCluster) {
  // A population of real-looking variety and nothing planted: defaults must flag nobody.
  Planted p = planted_population(5);
  Matrix genuine(static_cast<int64_t>(p.kind.size()) - 120, p.matrix.cols);
  int64_t row = 0;
  for (size_t i = 0; i < p.kind.size(); ++i) {
    if (p.kind[i] == 2) continue;
    std::copy(p.matrix.row(i), p.matrix.row(i) + p.matrix.cols, genuine.row(row++));
  }
  auto backend = make_cpu_backend({});
  SweepConfig config;
  KnnParams params;
  params.k = 16;
  params.mode = KnnMode::exact;
  KnnGraph graph = backend->knn_graph(genuine.view(), params, nullptr);
  std::vector<float> d = edge_distances(graph, Metric::cosine, {});
  DensityModel model = fit_density_model(graph, d, Metric::cosine, config);
  Clusters clusters = find_clusters(*backend, graph, d, Metric::cosine, model, config);
  int64_t flagged = 0;
  for (int64_t l : clusters.label) flagged += l >= 0;
  EXPECT_LE(flagged, 5) << "eps " << model.eps << " rule " << model.eps_rule;
}

// A density model fixed by hand for a hand-made graph: core distance = distance to the
// second neighbour (min_pts 2), eps at similarity `eps_similarity`, a genuine scale of 1.
DensityModel hand_model(const std::vector<float>& d, int64_t rows, int k, double eps_similarity) {
  DensityModel model;
  model.min_pts = 2;
  model.core_distance.resize(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) model.core_distance[i] = d[i * k + 1];
  model.eps = std::sqrt(2 - 2 * eps_similarity);
  model.genuine_log_mode = std::log(1.0);
  model.genuine_log_spread = 0.5;
  model.duplicate_distance = 0.001;
  return model;
}

TEST(Groups, HandMadeDbscanWithBorderAndLooseCluster) {
  // Fixed eps on a hand-made graph: core rows 0-3 (each has 2 neighbours within eps), a border
  // row 4 attached to core 3, and row 5 too far away.
  KnnGraph g = graph_from_edges(6, 3,
                                {{0, 1, 0.99f},
                                 {1, 2, 0.99f},
                                 {2, 3, 0.99f},
                                 {0, 2, 0.98f},
                                 {1, 3, 0.98f},
                                 {3, 4, 0.97f},
                                 {4, 5, 0.2f},
                                 {0, 5, 0.1f}});
  std::vector<float> d = edge_distances(g, Metric::cosine, {});
  SweepConfig config;
  config.clusters.min_pts = 2;
  config.clusters.min_size = 3;
  config.clusters.min_tightness = 1.0;
  const DensityModel model = hand_model(d, 6, 3, 0.965);
  auto backend = make_cpu_backend({});
  Clusters clusters = find_clusters(*backend, g, d, Metric::cosine, model, config);
  ASSERT_EQ(clusters.clusters.size(), 1u);
  EXPECT_EQ(clusters.clusters[0].size, 5);
  EXPECT_EQ(clusters.label, (std::vector<int64_t>{0, 0, 0, 0, 0, -1}));
  // The same cluster is rejected when it must be far tighter than its surroundings.
  config.clusters.min_tightness = 1e6;
  Clusters strict = find_clusters(*backend, g, d, Metric::cosine, model, config);
  EXPECT_TRUE(strict.clusters.empty());
  EXPECT_EQ(strict.rejected_loose, 1);
}

// Two shifts of one farm (rows 0-3 and 4-7): tight inside, a little apart from each other
// (beyond eps, so two density clusters), and loose genuine accounts (8-13) around them.
KnnGraph two_shift_graph() {
  std::vector<std::tuple<int, int, float>> edges;
  for (int base : {0, 4}) {
    for (int a = 0; a < 4; ++a) {
      for (int b = a + 1; b < 4; ++b) edges.emplace_back(base + a, base + b, 0.99f);
    }
  }
  for (int a = 0; a < 4; ++a) edges.emplace_back(a, 4 + a, 0.975f);
  for (int g = 8; g < 14; ++g) {
    edges.emplace_back(g, g + 1 < 14 ? g + 1 : 8, 0.5f);
    edges.emplace_back(g, g + 2 < 14 ? g + 2 : g - 4, 0.45f);
  }
  edges.emplace_back(3, 8, 0.3f);
  edges.emplace_back(7, 11, 0.3f);
  return graph_from_edges(14, 5, edges);
}

TEST(TouchingCandidates, JoinsAClusterToTheOneHoldingMostOfItsSurroundings) {
  KnnGraph g = two_shift_graph();
  std::vector<int64_t> density(14, -1);
  for (int i = 0; i < 4; ++i) density[i] = 0;
  for (int i = 4; i < 8; ++i) density[i] = 4;
  density[8] = density[9] = 8;  // a genuine pair, surrounded by noise
  TouchingCandidates t = join_touching_candidates(g, density);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(t.label[i], 0) << i;
  EXPECT_EQ(t.label[8], 8);
  EXPECT_EQ(t.label[9], 8);
  EXPECT_EQ(t.label[10], -1);
  EXPECT_EQ(t.parts[0], 2);
  EXPECT_EQ(t.parts[8], 1);
  EXPECT_EQ(t.parts[4], 0);
  EXPECT_EQ(t.joins, 1);
  // Nothing joins when a share above 1 is required, and the labels are the density labels.
  TouchingCandidates none = join_touching_candidates(g, density, 1.0);
  EXPECT_EQ(none.label, density);
  EXPECT_EQ(none.joins, 0);
}

TEST(TouchingCandidates, ChainsJoinTransitivelyAndTiesGoToTheSmallerLabel) {
  // Rows 0, 1, 2 are three one-row clusters on a path 0 - 1 - 2: 1's surroundings are split
  // evenly between 0 and 2 (a tie: it joins 0), 0's and 2's lie wholly in 1.
  KnnGraph g = graph_from_edges(3, 2, {{0, 1, 0.9f}, {1, 2, 0.9f}});
  TouchingCandidates t = join_touching_candidates(g, {0, 1, 2}, 0.4);
  EXPECT_EQ(t.label, (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(t.parts[0], 3);
  EXPECT_THROW(join_touching_candidates(g, {0, 1}), InputError);
}

TEST(Groups, ShiftsOfOneFarmAreJudgedTogether) {
  // Judged apart, each shift is surrounded by the other, as tight as itself, and fails the
  // tightness test; joined, the farm is far tighter than the genuine accounts around it.
  KnnGraph g = two_shift_graph();
  std::vector<float> d = edge_distances(g, Metric::cosine, {});
  SweepConfig config;
  config.clusters.min_pts = 2;
  config.clusters.min_size = 3;
  const DensityModel model = hand_model(d, 14, 5, 0.985);
  auto backend = make_cpu_backend({});
  Clusters clusters = find_clusters(*backend, g, d, Metric::cosine, model, config);
  ASSERT_EQ(clusters.clusters.size(), 1u);
  EXPECT_EQ(clusters.clusters[0].size, 8);
  EXPECT_GE(clusters.clusters[0].tightness, config.clusters.min_tightness);
  EXPECT_EQ(clusters.joined_candidates, 1);
  ASSERT_EQ(clusters.candidate_table.size(), 1u);
  EXPECT_EQ(clusters.candidate_table[0].parts, 2);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(clusters.label[i], 0) << i;
  for (int i = 8; i < 14; ++i) EXPECT_EQ(clusters.label[i], -1) << i;
}

}  // namespace
}  // namespace unfriend
