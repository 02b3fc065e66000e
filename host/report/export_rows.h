// `unfriend export`: one row per flagged or held account of a result, as CSV (RFC 4180 quoting)
// or JSON lines, with the groups it is in, its score and a short evidence line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "host/report/result_file.h"

namespace unfriend {

enum class ExportFormat { csv, jsonl };

/// "csv" or "jsonl"; InputError naming --format otherwise.
ExportFormat export_format_from_string(const std::string& name);

/// The exported accounts, in file order: decision 1 or 2 when /labels/decision is recorded,
/// otherwise every account in a cluster, a duplicate group or a campaign.
std::vector<size_t> exported_rows(const ResultFile& result);

/// The whole export: CSV with the header
///   account_id,decision,cluster,dup_group,campaign,score,evidence
/// (empty fields for "none"), or one JSON object per line with the same keys (null for none).
/// decision is "flagged" or "held".
std::string render_export(const ResultFile& result, ExportFormat format);

/// One CSV field: quoted (quotes doubled) when it holds a comma, quote, CR or LF.
std::string csv_field(std::string_view value);

}  // namespace unfriend
