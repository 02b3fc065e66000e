// Internal to host/report: what the report's sections share (the result, which groups are
// listed and profiled, per-group member statistics gathered in one pass over the accounts),
// and one function per section. Each returns a <section> element, or "" when the result has
// nothing for it.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "host/report/evidence.h"
#include "host/report/report_page.h"
#include "host/report/result_file.h"

namespace unfriend::report {

/// What the accounts of one group are, beyond the group table.
struct Members {
  int64_t count = 0;              // accounts labelled with the group
  int64_t flagged = 0, held = 0;  // by decision (account_decision)
  int64_t in_dup_group = 0, in_campaign = 0, in_cluster = 0;
  std::vector<int64_t> sample_ids;  // the first few account ids, in file order
  std::vector<float> scores;        // member scores (clusters only; NaN left out)
};

/// Where the recorded thresholds fall on the score axis. The score is (log genuine mode - log
/// core distance) / spread, clipped at 0 (host/pipeline/density.h), so with the mode and the
/// spread recorded every core-distance threshold has an exact place on it.
struct ScoreAxis {
  bool mapped = false;             // the result records the mode and a positive spread
  double mode = 0, spread = 1;     // log genuine core distance, robust spread
  double eps = NAN, valley = NAN;  // the thresholds as scores (NaN: not recorded)
  double x_max = 1;                // the axis ends here; larger scores count in the last bin
  // Core distance 0 (an account with min_pts exact copies) gets the score of the smallest
  // distance the density model takes, far beyond every other: those accounts are counted apart
  // so that they do not squeeze the axis.
  double zero_distance_score = NAN;
  int64_t zero_distance = 0;
  bool at_zero_distance(double score) const;
  double core_distance(double score) const;  // mapped only
};

struct Context {
  const ResultFile& result;
  ReportOptions options;
  GroupIndex cluster_index, dup_index, campaign_index;
  // Table rows by size (largest first, ties by id): the order of the tables and of the cuts.
  std::vector<size_t> clusters_by_size, dups_by_size, campaigns_by_size;
  std::vector<bool> cluster_profiled;  // per cluster row: has a section (#cluster-ID)
  std::vector<Members> cluster_members, dup_members, campaign_members;
  int64_t assessed = 0, not_assessed = 0, grouped = 0;
  int64_t decision_counts[3] = {0, 0, 0};  // by account_decision
  int64_t grouped_not_flagged = 0;         // in a group, decision 0 (recorded decisions only)
  int64_t held_outside_groups = 0;
  std::vector<int64_t> held_outside_sample;
  ScoreAxis axis;

  explicit Context(const ResultFile& r, const ReportOptions& o);
  /// "cluster-ID" for a profiled cluster row, "" otherwise.
  std::string cluster_anchor(size_t row) const;
  /// The anchor for a cluster id ("" when not in the table or not profiled).
  std::string cluster_anchor_for_id(int64_t id) const;
};

// Parts of the thresholds section: the histograms of /labels/core_distance, /labels/score and
// /hierarchy/account_distance with the thresholds drawn where they fall ("" when the result
// lacks the data).
std::string core_distance_histogram(const Context& c);
std::string score_histogram(const Context& c);
std::string hierarchy_histogram(const Context& c);

// Sections, in page order.
std::string summary_section(const Context& c);
std::string diff_section(const Context& c);
std::string review_section(const Context& c);
std::string thresholds_section(const Context& c);
std::string clusters_section(const Context& c);
std::string profiles_section(const Context& c);
std::string dup_groups_section(const Context& c);
std::string campaigns_section(const Context& c);
std::string configuration_section(const Context& c);

/// "Listing the 2,000 largest of 5,120 clusters; 3,120 ... are not listed." ("" when all are
/// listed); `which` says which are listed ("largest", "first").
std::string omitted_note(size_t listed, size_t total, const char* what,
                         const char* which = "largest");

/// Whether j[key] is a number (j an object).
bool has_number(const nlohmann::json& j, const char* key);
/// clusters.method of the recorded configuration ("eps" when not recorded).
std::string cluster_method(const ResultFile& r);

/// A JSON value as short text: numbers with 4 significant digits, strings as they are, null as
/// an em dash, anything else as compact JSON.
std::string json_text(const nlohmann::json& value);

}  // namespace unfriend::report
