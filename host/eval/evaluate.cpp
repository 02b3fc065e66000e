// Reading a result and a truth file and lining their accounts up by id.
#include "host/eval/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "host/core/error.h"
#include "host/io/h5_reader.h"
#include "host/synth/account_kind.h"

namespace unfriend {

namespace {

// A 1-D integer dataset of exactly `rows` values (rows < 0: any length).
std::vector<int64_t> read_column(const H5Reader& file, const std::string& dataset, int64_t rows,
                                 const std::string& length_of) {
  const std::vector<int64_t> shape = file.shape(dataset);
  if (shape.size() != 1) {
    throw InputError(
        fmt::format("{}: {} has rank {}, expected 1", file.path(), dataset, shape.size()));
  }
  if (rows >= 0 && shape[0] != rows) {
    throw InputError(fmt::format("{}: {} has {} values, {} has {}", file.path(), dataset, shape[0],
                                 length_of, rows));
  }
  return file.read_int64(dataset);
}

// Result labels are -2 (not assessed), -1 (none) or a group id.
void check_labels(const H5Reader& file, const std::string& dataset,
                  const std::vector<int64_t>& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < -2) {
      throw InputError(fmt::format("{}: {} has invalid value {} at row {} (expected >= -2)",
                                   file.path(), dataset, labels[i], i));
    }
  }
}

std::unordered_map<int64_t, size_t> index_ids(const H5Reader& file,
                                              const std::vector<int64_t>& ids) {
  std::unordered_map<int64_t, size_t> index;
  index.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto [it, inserted] = index.emplace(ids[i], i);
    if (!inserted) {
      throw InputError(fmt::format("{}: /accounts/id repeats id {} (rows {} and {})", file.path(),
                                   ids[i], it->second, i));
    }
  }
  return index;
}

}  // namespace

EvalReport evaluate(const std::string& result_path, const std::string& truth_path) {
  const H5Reader result(result_path);
  const H5Reader truth(truth_path);

  const std::vector<int64_t> result_ids = read_column(result, "/accounts/id", -1, "");
  const int64_t result_rows = static_cast<int64_t>(result_ids.size());
  // A sweep result has clusters and duplicate groups; a lockstep result has campaigns, scored
  // as the clusters; a result with both flags an account when any of them does.
  const bool has_campaign = result.has("/labels/campaign");
  const bool has_cluster = result.has("/labels/cluster") || !has_campaign;
  std::vector<int64_t> cluster =
      has_cluster ? read_column(result, "/labels/cluster", result_rows, "/accounts/id")
                  : std::vector<int64_t>(static_cast<size_t>(result_rows), -1);
  std::vector<int64_t> dup_group =
      has_cluster ? read_column(result, "/labels/dup_group", result_rows, "/accounts/id")
                  : std::vector<int64_t>(static_cast<size_t>(result_rows), -1);
  check_labels(result, "/labels/cluster", cluster);
  check_labels(result, "/labels/dup_group", dup_group);
  if (has_campaign) {
    const std::vector<int64_t> campaign =
        read_column(result, "/labels/campaign", result_rows, "/accounts/id");
    check_labels(result, "/labels/campaign", campaign);
    // Campaign ids after the cluster ids, so that the two never share a group.
    int64_t offset = 0;
    for (int64_t c : cluster) offset = std::max(offset, c + 1);
    for (size_t i = 0; i < campaign.size(); ++i) {
      if (campaign[i] >= 0 && cluster[i] < 0) cluster[i] = offset + campaign[i];
    }
  }

  // Feature worlds key their truth by /accounts/id and /truth/farm; action-log worlds by
  // /truth/account and /truth/campaign.
  const bool action_truth = !truth.has("/accounts/id") && truth.has("/truth/account");
  const std::string truth_id_path = action_truth ? "/truth/account" : "/accounts/id";
  const std::vector<int64_t> truth_ids = read_column(truth, truth_id_path, -1, "");
  const int64_t truth_rows = static_cast<int64_t>(truth_ids.size());
  const std::vector<int64_t> farm = read_column(
      truth, action_truth && !truth.has("/truth/farm") ? "/truth/campaign" : "/truth/farm",
      truth_rows, truth_id_path);
  // Imported labelled data sets may carry no duplicate groups and no kinds.
  const bool has_dup = truth.has("/truth/dup_group");
  const bool has_kind = truth.has("/truth/kind");
  const std::vector<int64_t> truth_dup =
      has_dup ? read_column(truth, "/truth/dup_group", truth_rows, truth_id_path)
              : std::vector<int64_t>(static_cast<size_t>(truth_rows), -1);
  std::vector<int32_t> kind(static_cast<size_t>(truth_rows));
  if (has_kind) {
    const std::vector<int64_t> codes = read_column(truth, "/truth/kind", truth_rows, truth_id_path);
    for (size_t i = 0; i < codes.size(); ++i) {
      if (codes[i] < 0 || codes[i] >= kAccountKindCount) {
        throw InputError(fmt::format("{}: /truth/kind has code {} at row {} (expected 0-{}: {})",
                                     truth.path(), codes[i], i, kAccountKindCount - 1,
                                     account_kind_codes()));
      }
      kind[i] = static_cast<int32_t>(codes[i]);
    }
  } else {
    for (size_t i = 0; i < kind.size(); ++i) {
      kind[i] = static_cast<int32_t>(farm[i] >= 0        ? AccountKind::click_farm
                                     : truth_dup[i] >= 0 ? AccountKind::near_duplicate
                                                         : AccountKind::genuine);
    }
  }

  // Line the truth up with the result's row order, checking that the ids are the same set.
  const std::unordered_map<int64_t, size_t> result_index = index_ids(result, result_ids);
  const std::unordered_map<int64_t, size_t> truth_index = index_ids(truth, truth_ids);
  EvalLabels labels;
  labels.cluster = std::move(cluster);
  labels.dup_group = std::move(dup_group);
  labels.truth_farm.resize(result_ids.size());
  labels.truth_dup_group.resize(result_ids.size());
  labels.truth_kind.resize(result_ids.size());
  for (size_t i = 0; i < result_ids.size(); ++i) {
    auto it = truth_index.find(result_ids[i]);
    if (it == truth_index.end()) {
      throw InputError(fmt::format("{}: account id {} (row {}) is not in {}", result.path(),
                                   result_ids[i], i, truth.path()));
    }
    labels.truth_farm[i] = farm[it->second];
    labels.truth_dup_group[i] = truth_dup[it->second];
    labels.truth_kind[i] = kind[it->second];
  }
  if (truth_rows != result_rows) {
    // Every result id is in the truth and none repeats, so the truth has more: name one.
    for (size_t j = 0; j < truth_ids.size(); ++j) {
      if (result_index.count(truth_ids[j]) == 0) {
        throw InputError(
            fmt::format("{}: account id {} (row {}) is not in {} ({} of {} accounts "
                        "matched)",
                        truth.path(), truth_ids[j], j, result.path(), result_rows, truth_rows));
      }
    }
  }

  EvalReport report = compute_metrics(labels);
  report.result_file = result_path;
  report.truth_file = truth_path;
  report.truth_kind_derived = !has_kind;
  report.truth_dup_missing = !has_dup;
  return report;
}

}  // namespace unfriend
