// The main job: input HDF5 -> preprocessing -> kNN graph -> near-duplicate groups and click-farm
// clusters -> output HDF5 + JSON summary. Backend-agnostic: the backend only builds the graph
// and its components.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/core/config.h"

namespace unfriend {

struct SweepRequest {
  std::string input_path;
  std::string output_path;
  SweepConfig config;
  std::string config_source = "defaults";  // file the configuration came from
};

struct StageTime {
  std::string stage;
  double seconds = 0;
};

/// What a finished sweep reports (the JSON summary is built from it).
struct SweepSummary {
  nlohmann::json json;
  std::string text;  // the short summary for stdout
};

/// Runs the whole sweep and writes OUTPUT.h5 and OUTPUT.summary.json (both atomically).
/// Throws InputError for bad input or usage, RuntimeFailure otherwise.
SweepSummary run_sweep(const SweepRequest& request);

/// Where the JSON summary of an output file goes: "out.h5" -> "out.summary.json".
std::string summary_path_for(const std::string& output_path);

}  // namespace unfriend
