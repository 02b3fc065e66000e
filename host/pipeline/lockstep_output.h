// The lockstep result on disk: HDF5 (durable: temporary name, then rename) and the summary JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "host/core/action_index.h"
#include "host/core/config.h"
#include "host/io/h5_writer.h"
#include "host/pipeline/lockstep.h"

namespace unfriend {

/// Summary of a run: counts, thresholds, timings, the top campaigns, and the configuration.
nlohmann::json lockstep_summary(const ActionIndex& index, const LockstepResult& result,
                                const SweepConfig& config, const std::string& input,
                                int top_campaigns);

/// Writes /accounts/id, /labels/campaign, /accounts/{actions,distinct_slots},
/// /evidence/{partner,partner_similarity,partner_matches}, /campaigns/*, /lockstep/null_similarity
/// and the thresholds as attributes of /lockstep. Throws InputError when `path` exists and
/// overwrite is off; nothing is left under `path` on failure.
void write_lockstep_result(const std::string& path, bool overwrite, const ActionIndex& index,
                           const LockstepResult& result, const nlohmann::json& summary);

/// /campaigns/* (one row per campaign), /targets/* (one row per target) and the thresholds
/// (attributes of /lockstep), for the lockstep result and for a sweep run with --actions.
void write_campaigns(H5Writer& out, const ActionIndex& index, const LockstepResult& result);

/// One line per campaign for the terminal.
std::string render_lockstep_text(const nlohmann::json& summary);

}  // namespace unfriend
