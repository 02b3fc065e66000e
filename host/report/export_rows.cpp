#include "host/report/export_rows.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "host/core/error.h"
#include "host/report/evidence.h"

namespace unfriend {

namespace {

// A group label as text: "" for none (and for a result without that label).
std::string label_text(const std::vector<int64_t>& labels, size_t row) {
  if (labels.empty() || labels[row] < 0) return {};
  return fmt::format("{}", labels[row]);
}

std::string score_text(const std::vector<float>& score, size_t row) {
  if (score.empty() || !std::isfinite(score[row])) return {};
  return fmt::format("{}", score[row]);  // shortest text that reads back as the same float
}

const char* decision_word(int decision) { return decision == kDecisionHeld ? "held" : "flagged"; }

}  // namespace

ExportFormat export_format_from_string(const std::string& name) {
  if (name == "csv") return ExportFormat::csv;
  if (name == "jsonl") return ExportFormat::jsonl;
  throw InputError(fmt::format("--format {}: expected csv or jsonl", name));
}

std::vector<size_t> exported_rows(const ResultFile& r) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < r.accounts(); ++i) {
    if (account_decision(r, i) != kDecisionNone) rows.push_back(i);
  }
  return rows;
}

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string render_export(const ResultFile& r, ExportFormat format) {
  const AccountEvidence evidence(r);
  const std::vector<size_t> rows = exported_rows(r);
  std::string out;
  out.reserve(rows.size() * 160 + 64);
  if (format == ExportFormat::csv) {
    out += "account_id,decision,cluster,dup_group,campaign,score,evidence\n";
    for (size_t row : rows) {
      fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{}\n", r.account_id[row],
                     decision_word(account_decision(r, row)), label_text(r.cluster, row),
                     label_text(r.dup_group, row), label_text(r.campaign, row),
                     score_text(r.score, row), csv_field(evidence.for_row(row)));
    }
    return out;
  }
  auto json_or_null = [](const std::string& text) {
    return text.empty() ? std::string("null") : text;
  };
  for (size_t row : rows) {
    fmt::format_to(
        std::back_inserter(out),
        "{{\"account_id\":{},\"decision\":\"{}\",\"cluster\":{},\"dup_group\":{},"
        "\"campaign\":{},\"score\":{},\"evidence\":{}}}\n",
        r.account_id[row], decision_word(account_decision(r, row)),
        json_or_null(label_text(r.cluster, row)), json_or_null(label_text(r.dup_group, row)),
        json_or_null(label_text(r.campaign, row)), json_or_null(score_text(r.score, row)),
        nlohmann::json(evidence.for_row(row))
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return out;
}

}  // namespace unfriend
