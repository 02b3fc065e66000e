// The sweep's configuration: every knob, its default, and loading from TOML. configs/default.toml
// documents each key; a key we do not know is an error naming it, so a typo never silently falls
// back to a default.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "host/core/backend.h"

namespace unfriend {

/// A threshold that is either derived from the data ("auto") or fixed by the user.
struct AutoValue {
  bool automatic = true;
  double value = 0;
};

struct SweepConfig {
  struct Input {
    std::string features = "/accounts/features";
    std::string ids = "/accounts/id";
    int64_t block_rows = 0;            // 0: from the file's chunking, about 64 MiB a block
    std::string on_invalid = "error";  // "error" or "skip" for NaN/Inf/all-zero rows
  } input;

  struct Preprocess {
    bool standardize = true;  // per-feature (x - mean) / deviation, winsorised moments, clipped
    double clip = 6.0;        // standardised values clipped at this many deviations
    Metric metric = Metric::cosine;
  } preprocess;

  KnnParams knn;  // k, mode, IVF/HNSW parameters, seed

  struct Recall {
    int64_t sample_rows = 1000;  // rows whose approximate neighbours are checked against exact
  } recall;

  struct Duplicates {
    // Near-duplicates: pairs whose distance is this many times smaller than the typical
    // nearest-neighbour distance of the population (auto), or a fixed similarity.
    AutoValue min_similarity;
    double distance_ratio = 0.02;
  } duplicates;

  struct Clusters {
    // "hierarchy": HDBSCAN*-style density hierarchy, each cluster at its own density, judged by
    // the coordination test; "eps": kNN-DBSCAN at one global eps (the earlier method).
    std::string method = "eps";
    double min_breadth =
        0.8;                 // hierarchy: share of features in which a network is abnormally alike
    double alike_z = 5.0;    // hierarchy: robust deviations below ordinary neighbourhoods = alike
    int null_samples = 200;  // hierarchy: neighbourhoods drawn per size for the null model
    std::string null_growth =
        "density";  // hierarchy: null neighbourhoods as level sets, or "distance"
    std::string null_floor =
        "none";  // hierarchy: "eps" keeps null level sets out of denser regions
    double max_spread_ratio =
        0.5;          // hierarchy: alike never looser than this share of the population's sd
    int min_pts = 8;  // neighbours an account needs within eps to be a core account
    AutoValue
        eps_similarity;  // auto: derived from the distribution of min_pts-th neighbour distances
    double min_log_gap = 0.4;   // auto eps: a farm must be exp(gap) x tighter than the genuine mode
    double min_peak_gap = 1.2;  // auto eps: a farm population peaks exp(gap) x tighter than genuine
    double robust_z = 5.0;      // auto eps: how many robust deviations below the genuine mode
    double min_tightness = 1.25;   // cluster kept only if its surroundings are this many x looser
    double min_cohesion = 0.5;     // split-respect test: share of near accounts inside, both halves
    int64_t cohesion_queries = 8;  // members sampled per cluster for that test
    int min_size = 0;              // 0: min_pts + 1
  } clusters;

  struct Lockstep {
    // Tolerances tried: min_tolerance_s, then 4x each, tolerance_scales of them
    // (host/core/lockstep_match.h).
    int64_t min_tolerance_s = 60;
    int tolerance_scales = 3;
    // Expected number of falsely linked pairs in a run: the binomial tail a link needs is this
    // divided by the pairs tested (candidates x scales).
    double significance = 0.01;
    // An account joins a campaign when its support links (p <= attach_level) into it are too
    // many for chance: binomial tail <= significance / eligible accounts.
    double attach_level = 0.01;
    // Communities of support links no single pair of which is a link
    // (host/pipeline/lockstep_groups.h): a campaign when nearly all its members (group_min_share
    // of those that differ, and significantly many) are more in step with the others than their
    // own delays shuffled make them (group_permutations shuffles; 0 turns the test off), and its
    // close pairs are either group_min_excess x those of shuffles over all of a member's slots,
    // or group_hour_min_excess x those of shuffles among a member's slots of the same hour of
    // the day. hour_s: the width of that hour, for this null and the pairs' same-hour chance
    // (host/core/lockstep_match.h).
    int group_permutations = 8;
    double group_min_excess = 2.0;
    double group_min_share = 0.95;
    double group_hour_min_excess = 1.25;
    int64_t hour_s = 3600;
    int min_matches = 3;           // matched slots a linked pair needs at its tolerance
    int min_size = 10;             // smallest campaign reported
    int hashes = 24;               // MinHash functions over (slot, time bucket) tokens
    int window = 3;                // sorted-neighbourhood window per hash: candidates per account
    int64_t block_rows = 1 << 20;  // action rows read per block
  } lockstep;

  struct Output {
    bool write_graph = false;  // /graph/neighbors and /graph/similarity
    bool overwrite = false;
    int top_clusters = 10;             // clusters listed in the stdout summary
    double alarm_flagged_share = 0.2;  // a sweep flagging more says so and names extreme features
  } output;

  struct Run {
    BackendKind backend = BackendKind::automatic;
    int threads = 0;               // 0: all cores
    int64_t max_memory_bytes = 0;  // 0: no planning limit
    int64_t gpu_memory_bytes = 0;  // 0: a share of free device memory
  } run;
};

/// Loads a TOML file over the defaults. Unknown keys, wrong types and out-of-range values are
/// InputError "FILE: key 'section.key' ...".
SweepConfig load_config(const std::string& path);
/// The same from TOML text (the name is used in messages).
SweepConfig parse_config(const std::string& toml_text, const std::string& name);
/// Range checks shared by the loader and the CLI overrides; throws InputError naming `source`.
void validate_config(const SweepConfig& config, const std::string& source);

/// The full effective configuration, as recorded in output attributes and the JSON summary.
nlohmann::json config_to_json(const SweepConfig& config);

/// Parses "4G", "512M", "1000000" (bytes). Throws InputError naming `option`.
int64_t parse_bytes(const std::string& text, const std::string& option);

}  // namespace unfriend
