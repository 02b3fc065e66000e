// The main job: input HDF5 -> preprocessing -> kNN graph -> near-duplicate groups and click-farm
// clusters -> output HDF5 + JSON summary. Backend-agnostic: the backend only builds the graph
// and its components.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/core/config.h"
#include "host/pipeline/sweep_text.h"

namespace unfriend {

struct SweepRequest {
  std::string input_path;
  std::string output_path;
  SweepConfig config;
  std::string config_source = "defaults";  // file the configuration came from
  /// An action log to search for lockstep campaigns too (empty: none); accounts matched by id.
  std::string actions_path;
  /// Scheduled runs: a previous result whose group ids carry over (empty: none).
  std::string previous_path;
  /// Account-id lists (one per line; empty: none): never flagged automatically, held for review
  /// with their groups when the evidence would flag them.
  std::string protect_path;
  std::string cleared_path;
  /// Checkpoint folder of the kNN stage; empty: "<output>.work" (see default_work_dir).
  std::string work_dir;
  /// Continue from the checkpoint in work_dir (none there: start from the beginning). Without
  /// it an existing checkpoint is an error, never silently reused or deleted.
  bool resume = false;
  /// false: no work dir, nothing to resume (a stop request still stops the run early).
  bool checkpoint = true;
  /// Polled between kNN units and between stages: once it returns true the sweep stops, the
  /// checkpoint kept, no output written, and run_sweep throws StopRequested.
  std::function<bool()> stop_requested;
};

/// What a finished sweep reports (the JSON summary is built from it).
struct SweepSummary {
  nlohmann::json json;
  std::string text;  // the short summary for stdout
};

/// Runs the whole sweep and writes OUTPUT.h5 and OUTPUT.summary.json (both atomically: complete
/// under their final names, or absent), checkpointing the kNN stage in the work dir, which is
/// removed after success. Throws InputError for bad input or usage (including a checkpoint of
/// another input or configuration, or --max-memory too small for any block size),
/// StopRequested when request.stop_requested asked to stop (its message says what was saved),
/// RuntimeFailure otherwise (e.g. out of disk, naming the file).
SweepSummary run_sweep(const SweepRequest& request);

/// Where the JSON summary of an output file goes: "out.h5" -> "out.summary.json".
std::string summary_path_for(const std::string& output_path);

}  // namespace unfriend
