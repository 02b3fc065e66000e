// `unfriend report`: one self-contained HTML page over a result file, for a reviewer working
// offline: the summary, the thresholds drawn on the score histogram, sortable group tables with
// per-cluster profiles of the recorded evidence, campaign timelines, the decisions and review
// queue, and the changes since the previous run when the result records them.
#pragma once

#include <cstddef>
#include <string>

#include "host/report/result_file.h"

namespace unfriend {

struct ReportOptions {
  /// Rows listed per table (the largest groups first); the page says how many are left out.
  size_t max_table_rows = 2000;
  /// Clusters with a profile section of their own (the largest first).
  size_t max_profiles = 200;
  /// Campaigns drawn on the timeline (the largest first).
  size_t max_timeline = 100;
};

/// The whole page. Everything taken from the file is escaped.
std::string render_report(const ResultFile& result, const ReportOptions& options = {});

}  // namespace unfriend
