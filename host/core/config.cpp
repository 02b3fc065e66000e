#include "host/core/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "host/core/error.h"

namespace unfriend {

namespace {

// One setter per "section.key"; each reads the TOML node and checks its type.
using Setter = std::function<void(const toml::node&, const std::string& where)>;

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw InputError(fmt::format("{}: {}", where, what));
}

int64_t as_int(const toml::node& node, const std::string& where) {
  if (auto v = node.value_exact<int64_t>()) return *v;
  fail(where, "expected an integer");
}

// For int settings: a bare static_cast would wrap 4294967297 to 1, which then passes the range
// checks, so a value outside int is refused here.
int as_int32(const toml::node& node, const std::string& where) {
  const int64_t v = as_int(node, where);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    fail(where, fmt::format("{} is out of range", v));
  }
  return static_cast<int>(v);
}

double as_double(const toml::node& node, const std::string& where) {
  if (auto v = node.value_exact<double>()) return *v;
  if (auto v = node.value_exact<int64_t>()) return static_cast<double>(*v);
  fail(where, "expected a number");
}

bool as_bool(const toml::node& node, const std::string& where) {
  if (auto v = node.value_exact<bool>()) return *v;
  fail(where, "expected true or false");
}

std::string as_string(const toml::node& node, const std::string& where) {
  if (auto v = node.value_exact<std::string>()) return *v;
  fail(where, "expected a string");
}

AutoValue as_auto(const toml::node& node, const std::string& where) {
  if (auto v = node.value_exact<std::string>()) {
    if (*v == "auto") return AutoValue{true, 0};
    fail(where, "expected \"auto\" or a number");
  }
  return AutoValue{false, as_double(node, where)};
}

int64_t as_bytes(const toml::node& node, const std::string& where) {
  if (auto v = node.value_exact<std::string>()) return parse_bytes(*v, where);
  return as_int(node, where);
}

std::map<std::string, Setter> make_setters(SweepConfig& c) {
  std::map<std::string, Setter> s;
  auto in = [&](const char* key, auto fn) { s[key] = fn; };
  in("input.features", [&](auto& n, auto& w) { c.input.features = as_string(n, w); });
  in("input.ids", [&](auto& n, auto& w) { c.input.ids = as_string(n, w); });
  in("input.block_rows", [&](auto& n, auto& w) { c.input.block_rows = as_int(n, w); });
  in("input.on_invalid", [&](auto& n, auto& w) { c.input.on_invalid = as_string(n, w); });
  in("preprocess.standardize", [&](auto& n, auto& w) { c.preprocess.standardize = as_bool(n, w); });
  in("preprocess.clip", [&](auto& n, auto& w) { c.preprocess.clip = as_double(n, w); });
  in("preprocess.metric", [&](auto& n, auto& w) {
    try {
      c.preprocess.metric = metric_from_string(as_string(n, w));
    } catch (const InputError& e) {
      fail(w, e.what());
    }
  });
  in("knn.k", [&](auto& n, auto& w) { c.knn.k = as_int32(n, w); });
  in("knn.mode", [&](auto& n, auto& w) {
    try {
      c.knn.mode = knn_mode_from_string(as_string(n, w));
    } catch (const InputError& e) {
      fail(w, e.what());
    }
  });
  in("knn.auto_exact_max_rows",
     [&](auto& n, auto& w) { c.knn.auto_exact_max_rows = as_int(n, w); });
  in("knn.query_block_rows", [&](auto& n, auto& w) { c.knn.query_block_rows = as_int(n, w); });
  in("knn.ivf_nlist", [&](auto& n, auto& w) { c.knn.ivf_nlist = as_int32(n, w); });
  in("knn.ivf_nprobe", [&](auto& n, auto& w) { c.knn.ivf_nprobe = as_int32(n, w); });
  in("knn.ivf_train_rows", [&](auto& n, auto& w) { c.knn.ivf_train_rows = as_int(n, w); });
  in("knn.hnsw_m", [&](auto& n, auto& w) { c.knn.hnsw_m = as_int32(n, w); });
  in("knn.hnsw_ef_construction",
     [&](auto& n, auto& w) { c.knn.hnsw_ef_construction = as_int32(n, w); });
  in("knn.hnsw_ef_search", [&](auto& n, auto& w) { c.knn.hnsw_ef_search = as_int32(n, w); });
  in("knn.seed", [&](auto& n, auto& w) { c.knn.seed = static_cast<uint64_t>(as_int(n, w)); });
  in("recall.sample_rows", [&](auto& n, auto& w) { c.recall.sample_rows = as_int(n, w); });
  in("duplicates.min_similarity",
     [&](auto& n, auto& w) { c.duplicates.min_similarity = as_auto(n, w); });
  in("duplicates.distance_ratio",
     [&](auto& n, auto& w) { c.duplicates.distance_ratio = as_double(n, w); });
  in("clusters.method", [&](auto& n, auto& w) { c.clusters.method = as_string(n, w); });
  in("clusters.min_breadth", [&](auto& n, auto& w) { c.clusters.min_breadth = as_double(n, w); });
  in("clusters.alike_z", [&](auto& n, auto& w) { c.clusters.alike_z = as_double(n, w); });
  in("clusters.null_samples", [&](auto& n, auto& w) { c.clusters.null_samples = as_int32(n, w); });
  in("clusters.null_growth", [&](auto& n, auto& w) { c.clusters.null_growth = as_string(n, w); });
  in("clusters.null_floor", [&](auto& n, auto& w) { c.clusters.null_floor = as_string(n, w); });
  in("clusters.max_spread_ratio",
     [&](auto& n, auto& w) { c.clusters.max_spread_ratio = as_double(n, w); });
  in("clusters.min_pts", [&](auto& n, auto& w) { c.clusters.min_pts = as_int32(n, w); });
  in("clusters.eps_similarity",
     [&](auto& n, auto& w) { c.clusters.eps_similarity = as_auto(n, w); });
  in("clusters.min_log_gap", [&](auto& n, auto& w) { c.clusters.min_log_gap = as_double(n, w); });
  in("clusters.min_peak_gap", [&](auto& n, auto& w) { c.clusters.min_peak_gap = as_double(n, w); });
  in("clusters.robust_z", [&](auto& n, auto& w) { c.clusters.robust_z = as_double(n, w); });
  in("clusters.min_tightness",
     [&](auto& n, auto& w) { c.clusters.min_tightness = as_double(n, w); });
  in("clusters.min_cohesion", [&](auto& n, auto& w) { c.clusters.min_cohesion = as_double(n, w); });
  in("clusters.cohesion_queries",
     [&](auto& n, auto& w) { c.clusters.cohesion_queries = as_int(n, w); });
  in("clusters.min_size", [&](auto& n, auto& w) { c.clusters.min_size = as_int32(n, w); });
  in("lockstep.min_tolerance_s",
     [&](auto& n, auto& w) { c.lockstep.min_tolerance_s = as_int(n, w); });
  in("lockstep.tolerance_scales",
     [&](auto& n, auto& w) { c.lockstep.tolerance_scales = as_int32(n, w); });
  in("lockstep.significance", [&](auto& n, auto& w) { c.lockstep.significance = as_double(n, w); });
  in("lockstep.attach_level", [&](auto& n, auto& w) { c.lockstep.attach_level = as_double(n, w); });
  in("lockstep.group_permutations",
     [&](auto& n, auto& w) { c.lockstep.group_permutations = as_int32(n, w); });
  in("lockstep.group_min_excess",
     [&](auto& n, auto& w) { c.lockstep.group_min_excess = as_double(n, w); });
  in("lockstep.group_min_share",
     [&](auto& n, auto& w) { c.lockstep.group_min_share = as_double(n, w); });
  in("lockstep.group_hour_min_excess",
     [&](auto& n, auto& w) { c.lockstep.group_hour_min_excess = as_double(n, w); });
  in("lockstep.hour_s", [&](auto& n, auto& w) { c.lockstep.hour_s = as_int(n, w); });
  in("lockstep.min_matches", [&](auto& n, auto& w) { c.lockstep.min_matches = as_int32(n, w); });
  in("lockstep.min_size", [&](auto& n, auto& w) { c.lockstep.min_size = as_int32(n, w); });
  in("lockstep.hashes", [&](auto& n, auto& w) { c.lockstep.hashes = as_int32(n, w); });
  in("lockstep.window", [&](auto& n, auto& w) { c.lockstep.window = as_int32(n, w); });
  in("lockstep.block_rows", [&](auto& n, auto& w) { c.lockstep.block_rows = as_int(n, w); });
  in("output.write_graph", [&](auto& n, auto& w) { c.output.write_graph = as_bool(n, w); });
  in("output.overwrite", [&](auto& n, auto& w) { c.output.overwrite = as_bool(n, w); });
  in("output.top_clusters", [&](auto& n, auto& w) { c.output.top_clusters = as_int32(n, w); });
  in("output.alarm_flagged_share",
     [&](auto& n, auto& w) { c.output.alarm_flagged_share = as_double(n, w); });
  in("run.backend", [&](auto& n, auto& w) {
    try {
      c.run.backend = backend_kind_from_string(as_string(n, w));
    } catch (const InputError& e) {
      fail(w, e.what());
    }
  });
  in("run.threads", [&](auto& n, auto& w) { c.run.threads = as_int32(n, w); });
  in("run.max_memory", [&](auto& n, auto& w) { c.run.max_memory_bytes = as_bytes(n, w); });
  in("run.gpu_memory", [&](auto& n, auto& w) { c.run.gpu_memory_bytes = as_bytes(n, w); });
  return s;
}

}  // namespace

int64_t parse_bytes(const std::string& text, const std::string& option) {
  std::string t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  if (t.empty()) throw InputError(fmt::format("{}: empty size", option));
  double multiplier = 1;
  char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
  if (suffix == 'B' && t.size() > 1 && std::isalpha(static_cast<unsigned char>(t[t.size() - 2]))) {
    t.pop_back();
    suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
  }
  if (suffix == 'K' || suffix == 'M' || suffix == 'G' || suffix == 'T') {
    multiplier = suffix == 'K'   ? 1024.0
                 : suffix == 'M' ? 1024.0 * 1024
                 : suffix == 'G' ? 1024.0 * 1024 * 1024
                                 : 1024.0 * 1024 * 1024 * 1024;
    t.pop_back();
  }
  char* end = nullptr;
  double value = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !(value >= 0) || !std::isfinite(value)) {
    throw InputError(
        fmt::format("{}: '{}' is not a size (examples: 512M, 4G, 1000000)", option, text));
  }
  // Converting a double at or above 2^63 to int64 is undefined behaviour: refuse it first.
  const double bytes = value * multiplier;
  if (!(bytes < 9223372036854775808.0)) {
    throw InputError(
        fmt::format("{}: '{}' is too large a size (at most 2^63 - 1 bytes)", option, text));
  }
  return static_cast<int64_t>(bytes);
}

SweepConfig parse_config(const std::string& toml_text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw InputError(fmt::format("{}:{}:{}: {}", name, where.line, where.column, e.description()));
  }
  SweepConfig config;
  auto setters = make_setters(config);
  for (const auto& [section, node] : root) {
    std::string section_name(section.str());
    const toml::table* table = node.as_table();
    if (!table) {
      throw InputError(fmt::format("{}: unknown key '{}' (settings live in sections such as [knn])",
                                   name, section_name));
    }
    for (const auto& [key, value] : *table) {
      std::string full = section_name + "." + std::string(key.str());
      auto it = setters.find(full);
      if (it == setters.end()) throw InputError(fmt::format("{}: unknown key '{}'", name, full));
      it->second(value, fmt::format("{}: key '{}'", name, full));
    }
  }
  validate_config(config, name);
  return config;
}

SweepConfig load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot open configuration file", path));
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

void validate_config(const SweepConfig& c, const std::string& source) {
  auto check = [&](bool ok, const std::string& key, const std::string& rule) {
    if (!ok) throw InputError(fmt::format("{}: key '{}' {}", source, key, rule));
  };
  check(c.input.features.size() > 1 && c.input.features[0] == '/', "input.features",
        "must be an absolute dataset path such as /accounts/features");
  check(!c.input.ids.empty() && c.input.ids[0] == '/', "input.ids",
        "must be an absolute dataset path");
  check(c.input.block_rows >= 0, "input.block_rows", "must be >= 0 (0: automatic)");
  check(c.input.on_invalid == "error" || c.input.on_invalid == "skip", "input.on_invalid",
        "must be \"error\" or \"skip\"");
  check(c.knn.k >= 1 && c.knn.k <= 1024, "knn.k", "must be between 1 and 1024");
  check(c.knn.auto_exact_max_rows >= 0, "knn.auto_exact_max_rows", "must be >= 0");
  check(c.knn.query_block_rows >= 1, "knn.query_block_rows", "must be >= 1");
  check(c.knn.ivf_nlist >= 0, "knn.ivf_nlist", "must be >= 0 (0: automatic)");
  check(c.knn.ivf_nprobe >= 0, "knn.ivf_nprobe", "must be >= 0 (0: automatic)");
  check(c.knn.ivf_train_rows >= 0, "knn.ivf_train_rows", "must be >= 0 (0: automatic)");
  check(c.knn.hnsw_m >= 4 && c.knn.hnsw_m <= 256, "knn.hnsw_m", "must be between 4 and 256");
  check(c.knn.hnsw_ef_construction >= 8, "knn.hnsw_ef_construction", "must be >= 8");
  check(c.knn.hnsw_ef_search >= 1, "knn.hnsw_ef_search", "must be >= 1");
  check(c.recall.sample_rows >= 0, "recall.sample_rows", "must be >= 0");
  check(c.duplicates.min_similarity.automatic || (c.duplicates.min_similarity.value > -1e30 &&
                                                  std::isfinite(c.duplicates.min_similarity.value)),
        "duplicates.min_similarity", "must be \"auto\" or a finite number");
  check(c.duplicates.distance_ratio > 0 && c.duplicates.distance_ratio < 1,
        "duplicates.distance_ratio", "must be between 0 and 1 (exclusive)");
  check(c.preprocess.clip >= 1 && c.preprocess.clip <= 1e6, "preprocess.clip",
        "must be in [1, 1e6]");
  check(c.clusters.method == "hierarchy" || c.clusters.method == "eps", "clusters.method",
        "must be \"hierarchy\" or \"eps\"");
  check(c.clusters.min_breadth > 0 && c.clusters.min_breadth <= 1, "clusters.min_breadth",
        "must be in (0, 1]");
  check(c.clusters.alike_z > 0 && c.clusters.alike_z < 100, "clusters.alike_z",
        "must be in (0, 100)");
  check(c.clusters.null_samples >= 10 && c.clusters.null_samples <= 100000, "clusters.null_samples",
        "must be in [10, 100000]");
  check(c.clusters.null_growth == "density" || c.clusters.null_growth == "distance",
        "clusters.null_growth", "must be \"density\" or \"distance\"");
  check(c.clusters.null_floor == "none" || c.clusters.null_floor == "eps", "clusters.null_floor",
        "must be \"none\" or \"eps\"");
  check(c.clusters.max_spread_ratio > 0 && c.clusters.max_spread_ratio <= 1,
        "clusters.max_spread_ratio", "must be in (0, 1]");
  check(c.clusters.min_pts >= 2, "clusters.min_pts", "must be >= 2");
  check(c.clusters.min_pts <= c.knn.k, "clusters.min_pts", "must be <= knn.k");
  check(c.clusters.eps_similarity.automatic || std::isfinite(c.clusters.eps_similarity.value),
        "clusters.eps_similarity", "must be \"auto\" or a finite number");
  check(c.clusters.min_log_gap > 0 && c.clusters.min_log_gap < 10, "clusters.min_log_gap",
        "must be between 0 and 10");
  check(c.clusters.min_peak_gap > 0 && c.clusters.min_peak_gap < 20, "clusters.min_peak_gap",
        "must be between 0 and 20");
  check(c.clusters.robust_z > 0 && c.clusters.robust_z < 100, "clusters.robust_z",
        "must be between 0 and 100");
  check(c.clusters.min_tightness >= 1, "clusters.min_tightness", "must be >= 1");
  check(c.clusters.min_cohesion >= 0 && c.clusters.min_cohesion <= 1, "clusters.min_cohesion",
        "must be in [0, 1]");
  check(c.clusters.cohesion_queries >= 1, "clusters.cohesion_queries", "must be >= 1");
  check(c.clusters.min_size >= 0, "clusters.min_size", "must be >= 0 (0: min_pts + 1)");
  check(c.lockstep.min_tolerance_s >= 1 && c.lockstep.min_tolerance_s <= 86400,
        "lockstep.min_tolerance_s", "must be in [1, 86400] seconds");
  check(c.lockstep.tolerance_scales >= 1 && c.lockstep.tolerance_scales <= 8,
        "lockstep.tolerance_scales", "must be between 1 and 8");
  check(c.lockstep.significance > 0 && c.lockstep.significance < 1, "lockstep.significance",
        "must be in (0, 1)");
  check(c.lockstep.attach_level > 0 && c.lockstep.attach_level < 1, "lockstep.attach_level",
        "must be in (0, 1)");
  check(c.lockstep.group_permutations >= 0 && c.lockstep.group_permutations <= 1000,
        "lockstep.group_permutations", "must be in [0, 1000] (0: no group test)");
  check(c.lockstep.group_min_excess >= 1, "lockstep.group_min_excess", "must be >= 1");
  check(c.lockstep.group_min_share >= 0.5 && c.lockstep.group_min_share <= 1,
        "lockstep.group_min_share", "must be in [0.5, 1]");
  check(c.lockstep.group_hour_min_excess >= 1, "lockstep.group_hour_min_excess", "must be >= 1");
  check(c.lockstep.hour_s >= 1 && c.lockstep.hour_s <= 86400, "lockstep.hour_s",
        "must be in [1, 86400] seconds");
  check(c.lockstep.min_matches >= 1, "lockstep.min_matches", "must be >= 1");
  check(c.lockstep.min_size >= 2, "lockstep.min_size", "must be >= 2");
  check(c.lockstep.hashes >= 1 && c.lockstep.hashes <= 256, "lockstep.hashes",
        "must be between 1 and 256");
  check(c.lockstep.window >= 1 && c.lockstep.window <= 64, "lockstep.window",
        "must be between 1 and 64");
  check(c.lockstep.block_rows >= 1, "lockstep.block_rows", "must be >= 1");
  check(c.output.top_clusters >= 0, "output.top_clusters", "must be >= 0");
  check(c.output.alarm_flagged_share > 0 && c.output.alarm_flagged_share <= 1,
        "output.alarm_flagged_share", "must be in (0, 1]");
  check(c.run.threads >= 0, "run.threads", "must be >= 0 (0: all cores)");
  check(c.run.max_memory_bytes >= 0, "run.max_memory", "must be >= 0");
  check(c.run.gpu_memory_bytes >= 0, "run.gpu_memory", "must be >= 0");
}

nlohmann::json config_to_json(const SweepConfig& c) {
  auto auto_value = [](const AutoValue& v) -> nlohmann::json {
    if (v.automatic) return "auto";
    return v.value;
  };
  nlohmann::json j;
  j["input"] = {{"features", c.input.features},
                {"ids", c.input.ids},
                {"block_rows", c.input.block_rows},
                {"on_invalid", c.input.on_invalid}};
  j["preprocess"] = {{"standardize", c.preprocess.standardize},
                     {"clip", c.preprocess.clip},
                     {"metric", to_string(c.preprocess.metric)}};
  j["knn"] = {{"k", c.knn.k},
              {"mode", to_string(c.knn.mode)},
              {"auto_exact_max_rows", c.knn.auto_exact_max_rows},
              {"query_block_rows", c.knn.query_block_rows},
              {"ivf_nlist", c.knn.ivf_nlist},
              {"ivf_nprobe", c.knn.ivf_nprobe},
              {"ivf_train_rows", c.knn.ivf_train_rows},
              {"hnsw_m", c.knn.hnsw_m},
              {"hnsw_ef_construction", c.knn.hnsw_ef_construction},
              {"hnsw_ef_search", c.knn.hnsw_ef_search},
              {"seed", c.knn.seed}};
  j["recall"] = {{"sample_rows", c.recall.sample_rows}};
  j["duplicates"] = {{"min_similarity", auto_value(c.duplicates.min_similarity)},
                     {"distance_ratio", c.duplicates.distance_ratio}};
  j["clusters"] = {{"method", c.clusters.method},
                   {"min_breadth", c.clusters.min_breadth},
                   {"alike_z", c.clusters.alike_z},
                   {"null_samples", c.clusters.null_samples},
                   {"null_growth", c.clusters.null_growth},
                   {"null_floor", c.clusters.null_floor},
                   {"max_spread_ratio", c.clusters.max_spread_ratio},
                   {"min_pts", c.clusters.min_pts},
                   {"eps_similarity", auto_value(c.clusters.eps_similarity)},
                   {"min_log_gap", c.clusters.min_log_gap},
                   {"min_peak_gap", c.clusters.min_peak_gap},
                   {"robust_z", c.clusters.robust_z},
                   {"min_tightness", c.clusters.min_tightness},
                   {"min_cohesion", c.clusters.min_cohesion},
                   {"cohesion_queries", c.clusters.cohesion_queries},
                   {"min_size", c.clusters.min_size}};
  j["lockstep"] = {{"min_tolerance_s", c.lockstep.min_tolerance_s},
                   {"tolerance_scales", c.lockstep.tolerance_scales},
                   {"significance", c.lockstep.significance},
                   {"attach_level", c.lockstep.attach_level},
                   {"group_permutations", c.lockstep.group_permutations},
                   {"group_min_excess", c.lockstep.group_min_excess},
                   {"group_min_share", c.lockstep.group_min_share},
                   {"group_hour_min_excess", c.lockstep.group_hour_min_excess},
                   {"hour_s", c.lockstep.hour_s},
                   {"min_matches", c.lockstep.min_matches},
                   {"min_size", c.lockstep.min_size},
                   {"hashes", c.lockstep.hashes},
                   {"window", c.lockstep.window},
                   {"block_rows", c.lockstep.block_rows}};
  j["output"] = {{"write_graph", c.output.write_graph},
                 {"overwrite", c.output.overwrite},
                 {"top_clusters", c.output.top_clusters},
                 {"alarm_flagged_share", c.output.alarm_flagged_share}};
  j["run"] = {{"backend", to_string(c.run.backend)},
              {"threads", c.run.threads},
              {"max_memory", c.run.max_memory_bytes},
              {"gpu_memory", c.run.gpu_memory_bytes}};
  return j;
}

}  // namespace unfriend
