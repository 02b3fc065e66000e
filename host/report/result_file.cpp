#include "host/report/result_file.h"

#include <fmt/format.h>

#include "host/core/error.h"
#include "host/io/h5_reader.h"

namespace unfriend {

namespace {

// Reads a column that may be absent; present columns must have `rows` entries (times `width`).
template <typename T, typename Read>
std::vector<T> optional_column(const H5Reader& file, const std::string& dataset, size_t rows,
                               Read read, size_t width = 1) {
  if (!file.has(dataset)) return {};
  std::vector<T> values = read(dataset);
  if (values.size() != rows * width) {
    throw InputError(fmt::format("{}: {} has {} values, expected {}", file.path(), dataset,
                                 values.size(), rows * width));
  }
  return values;
}

struct ColumnReader {
  const H5Reader& file;
  size_t rows;
  std::vector<int64_t> ints(const std::string& d) const {
    return optional_column<int64_t>(file, d, rows,
                                    [&](const std::string& n) { return file.read_int64(n); });
  }
  std::vector<float> floats(const std::string& d, size_t width = 1) const {
    return optional_column<float>(
        file, d, rows, [&](const std::string& n) { return file.read_float32(n); }, width);
  }
  std::vector<double> doubles(const std::string& d) const {
    return optional_column<double>(file, d, rows,
                                   [&](const std::string& n) { return file.read_float64(n); });
  }
  std::vector<std::string> strings(const std::string& d) const {
    return optional_column<std::string>(file, d, rows,
                                        [&](const std::string& n) { return file.read_strings(n); });
  }
};

// The id column of a group table decides its length; a table without one is empty. Every
// renderer needs the sizes, so a table with ids has to have them.
size_t table_rows(const H5Reader& file, const std::string& group, std::vector<int64_t>& id,
                  std::vector<int64_t>& size) {
  if (!file.has(group + "/id")) return 0;
  id = file.read_int64(group + "/id");
  size = file.read_int64(group + "/size");  // InputError "missing dataset" when absent
  if (size.size() != id.size()) {
    throw InputError(fmt::format("{}: {}/size has {} values, expected {}", file.path(), group,
                                 size.size(), id.size()));
  }
  return id.size();
}

void read_clusters(const H5Reader& file, ClusterTable& t) {
  const ColumnReader c{file, table_rows(file, "/clusters", t.id, t.size)};
  t.kind = c.strings("/clusters/kind");
  t.decided_by = c.strings("/clusters/decided_by");
  t.core_size = c.ints("/clusters/core_size");
  t.representative_id = c.ints("/clusters/representative_id");
  t.alike_features = c.ints("/clusters/alike_features");
  t.mean_similarity = c.floats("/clusters/mean_similarity");
  t.tightness = c.floats("/clusters/tightness");
  t.score = c.floats("/clusters/score");
  t.internal_distance = c.floats("/clusters/internal_distance");
  t.surround_distance = c.floats("/clusters/surround_distance");
  t.similarity_spread = c.floats("/clusters/similarity_spread");
  t.breadth = c.floats("/clusters/breadth");
  t.null_tightness = c.floats("/clusters/null_tightness");
  t.stability = c.floats("/clusters/stability");
  t.birth_distance = c.floats("/clusters/birth_distance");
  t.density_distance = c.floats("/clusters/density_distance");
  t.cohesion = c.floats("/clusters/cohesion");
  t.cohesion_halves = c.floats("/clusters/cohesion_halves", 2);
  const std::string spread = "/clusters/feature_spread";
  if (file.has(spread)) {
    const std::vector<int64_t> shape = file.shape(spread);
    if (shape.size() == 2 && shape[1] > 0) {
      t.feature_columns = static_cast<size_t>(shape[1]);
      t.feature_spread = c.floats(spread, t.feature_columns);
    }
  }
}

void read_dup_groups(const H5Reader& file, DupGroupTable& t) {
  const ColumnReader c{file, table_rows(file, "/dup_groups", t.id, t.size)};
  t.representative_id = c.ints("/dup_groups/representative_id");
  t.mean_similarity = c.floats("/dup_groups/mean_similarity");
  t.min_similarity = c.floats("/dup_groups/min_similarity");
}

void read_campaigns(const H5Reader& file, CampaignTable& t) {
  const ColumnReader c{file, table_rows(file, "/campaigns", t.id, t.size)};
  t.representative = c.ints("/campaigns/representative");
  t.slots = c.ints("/campaigns/slots");
  t.targets = c.ints("/campaigns/targets");
  t.actions = c.ints("/campaigns/actions");
  t.first_time = c.ints("/campaigns/first_time");
  t.last_time = c.ints("/campaigns/last_time");
  t.edges = c.ints("/campaigns/edges");
  t.kind = c.strings("/campaigns/kind");
  t.decided_by = c.strings("/campaigns/decided_by");
  t.median_delay = c.doubles("/campaigns/median_delay");
  t.mean_similarity = c.doubles("/campaigns/mean_similarity");
  t.score = c.doubles("/campaigns/score");
}

void read_review(const H5Reader& file, ReviewTable& t) {
  if (!file.has("/review/id")) return;
  t.id = file.read_int64("/review/id");
  const ColumnReader c{file, t.id.size()};
  t.kind = c.strings("/review/kind");
  if (t.kind.empty() && !t.id.empty()) {
    throw InputError(fmt::format("{}: missing dataset /review/kind", file.path()));
  }
  t.size = c.ints("/review/size");
  t.protected_members = c.ints("/review/protected");
  t.cleared_members = c.ints("/review/cleared");
}

std::string string_attribute(const H5Reader& file, const char* name) {
  return file.has_attribute("/", name) ? file.read_string_attribute("/", name) : std::string();
}

int64_t int_attribute(const H5Reader& file, const char* name) {
  return file.has_attribute("/", name) ? file.read_int64_attribute("/", name) : -1;
}

// A JSON attribute: null when absent or not JSON (then `unreadable` is set when given).
nlohmann::json json_attribute(const H5Reader& file, const char* name, std::string* text = nullptr,
                              bool* unreadable = nullptr) {
  const std::string raw = string_attribute(file, name);
  if (text) *text = raw;
  if (raw.empty()) return nullptr;
  nlohmann::json value = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    if (unreadable) *unreadable = true;
    return nullptr;
  }
  return value;
}

}  // namespace

ResultFile read_result_file(const std::string& path) {
  const H5Reader file(path);  // InputError naming the file when missing or not HDF5
  ResultFile r;
  r.path = path;
  if (!file.has("/accounts/id")) {
    throw InputError(
        fmt::format("{}: not an unfriend result (missing dataset /accounts/id)", path));
  }
  if (!file.has("/labels/cluster") && !file.has("/labels/dup_group") &&
      !file.has("/labels/campaign")) {
    throw InputError(fmt::format(
        "{}: not an unfriend result (no /labels/cluster, /labels/dup_group or /labels/campaign)",
        path));
  }
  r.account_id = file.read_int64("/accounts/id");
  const ColumnReader labels{file, r.account_id.size()};
  r.cluster = labels.ints("/labels/cluster");
  r.dup_group = labels.ints("/labels/dup_group");
  r.campaign = labels.ints("/labels/campaign");
  r.score = labels.floats("/labels/score");
  r.core_distance = labels.floats("/labels/core_distance");
  r.hierarchy_distance = labels.floats("/hierarchy/account_distance");
  const std::vector<int64_t> decision = labels.ints("/labels/decision");
  r.decision.reserve(decision.size());
  for (size_t i = 0; i < decision.size(); ++i) {
    if (decision[i] < kDecisionNone || decision[i] > kDecisionHeld) {
      throw InputError(
          fmt::format("{}: /labels/decision[{}] is {}, expected 0, 1 or 2", path, i, decision[i]));
    }
    r.decision.push_back(static_cast<int8_t>(decision[i]));
  }

  read_clusters(file, r.clusters);
  if (file.has("/features/names")) r.feature_names = file.read_strings("/features/names");
  r.candidate = labels.ints("/labels/candidate");
  r.core = labels.ints("/labels/core");
  if (file.has("/candidates/outcome")) {
    r.candidate_outcome = file.read_strings("/candidates/outcome");
    const ColumnReader candidates{file, r.candidate_outcome.size()};
    r.candidate_size = candidates.ints("/candidates/size");
    r.candidate_tightness = candidates.floats("/candidates/tightness");
    r.candidate_cohesion = candidates.floats("/candidates/cohesion");
  }
  read_dup_groups(file, r.dup_groups);
  r.has_campaigns = file.has("/campaigns");
  read_campaigns(file, r.campaigns);
  r.has_review = file.has("/review");
  read_review(file, r.review);

  r.thresholds = json_attribute(file, "thresholds");
  r.config = json_attribute(file, "config");
  r.knn = json_attribute(file, "knn");
  r.stage_seconds = json_attribute(file, "stage_seconds");
  r.summary = json_attribute(file, "summary");  // lockstep results keep their summary here
  r.diff = json_attribute(file, "diff", &r.diff_text, &r.diff_unreadable);
  r.input_path = string_attribute(file, "input_path");
  r.backend = string_attribute(file, "backend");
  r.version = string_attribute(file, "unfriend_version");
  r.config_source = string_attribute(file, "config_source");
  r.command = string_attribute(file, "unfriend_command");
  r.input_rows = int_attribute(file, "input_rows");
  r.input_features = int_attribute(file, "input_features");
  return r;
}

int account_decision(const ResultFile& r, size_t row) {
  if (r.has_decisions()) return r.decision[row];
  const bool grouped = (!r.cluster.empty() && r.cluster[row] >= 0) ||
                       (!r.dup_group.empty() && r.dup_group[row] >= 0) ||
                       (!r.campaign.empty() && r.campaign[row] >= 0);
  return grouped ? kDecisionFlagged : kDecisionNone;
}

}  // namespace unfriend
