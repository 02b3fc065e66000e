// `unfriend explain`: why one account is flagged, held or not flagged, from the evidence the
// sweep recorded (labels, group tables, per-account core distances, the density clusters before
// the tests and what became of them, the thresholds). Optional detail needs the data the sweep
// read: with the features, the account's nearest accounts and the features in which its group
// is abnormally alike; with the action log, the shared actions of its campaign.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "host/report/result_file.h"

namespace unfriend {

struct ExplainRequest {
  int64_t account = 0;
  std::string input_path;    // the features the sweep read ("" : no feature detail)
  std::string actions_path;  // the action log ("" : no action detail)
  int nearest = 10;          // nearest accounts listed (with the features)
};

/// The explanation as JSON. Every numeric test is {"test", "value", "threshold", "rule"
/// ("<=" or ">="), "passed"}; "tests" are those the account's groups passed, "missed" the first
/// test that kept it (or its density group) out of each kind of group. InputError (one line,
/// naming the file) for an unknown account id or unreadable optional inputs.
nlohmann::json explain_account(const ResultFile& result, const ExplainRequest& request);

/// The same as text, for a reviewer.
std::string explanation_text(const nlohmann::json& explanation);

}  // namespace unfriend
