// Synthetic account behaviour vectors with planted fake-account networks and their ground truth:
// the data the detection engine is developed and judged on (`unfriend synth`).
//
// The model, in a latent space that is then mapped to raw, unstandardised features:
//   genuine         communities with heavy-tailed sizes, per-community spread and anisotropy,
//                   heavy-tailed per-account activity, a few loners without a community;
//   dense_genuine   a handful of unusually tight genuine communities (a fan club, a school) that a
//                   good engine must NOT flag;
//   click_farm      tight clusters around a template, half of them camouflaged next to a genuine
//                   community, members with a little genuine-looking noise on a few dimensions;
//   mass_report     networks in lockstep on half of the dimensions and looser on the rest;
//   near_duplicate  small groups copied from one account with tiny noise, a third exact copies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/io/h5_writer.h"
#include "host/synth/account_kind.h"

namespace unfriend {

/// Every knob of the generator, with the defaults `unfriend synth` uses. Fractions are of all
/// rows; sizes are accounts per group. Spreads are standard deviations in the latent space, where
/// community centres are N(0, I).
struct SynthParams {
  int64_t rows = 200000;
  int64_t dims = 64;
  uint64_t seed = 1;
  int threads = 0;  // 0: all cores. The output never depends on it.

  // Raw feature space: x_raw[d] = offset[d] + scale[d] * x_latent[d].
  double scale_log_sigma = 1.0;  // scale[d] ~ lognormal(0, scale_log_sigma)
  double offset_sigma = 5.0;     // offset[d] ~ N(0, offset_sigma^2)

  // Activity: every account moves along one fixed random direction by activity * strength,
  // activity ~ Student-t(dof) clipped to +-clip (quiet and very active accounts).
  double activity_strength = 1.5;
  int activity_dof = 3;
  double activity_clip = 6.0;

  // Genuine background: everything not planted below.
  double loner_fraction = 0.03;  // of the genuine rows: accounts without a community
  int64_t community_min_size = 30;
  double community_max_fraction = 0.05;  // largest community, as a fraction of all rows
  double community_size_exponent = 2.0;  // power-law density ~ size^-exponent
  double community_sigma_min = 0.45;     // spread log-uniform in [min, max] per community
  double community_sigma_max = 1.0;
  double anisotropy_min = 0.7;  // per-community, per-dimension spread factor, uniform
  double anisotropy_max = 1.3;

  // Dense genuine communities (kind 1).
  double dense_fraction = 0.04;
  int dense_min_count = 4;
  int dense_max_count = 10;
  int64_t dense_min_size = 300;  // sizes log-uniform, rescaled to hit dense_fraction exactly
  int64_t dense_max_size = 3000;
  double dense_sigma_min = 0.28;
  double dense_sigma_max = 0.40;

  // Click farms (kind 2).
  double farm_fraction = 0.06;
  int64_t farm_min_size = 20;  // sizes log-uniform in [min, max]
  int64_t farm_max_size = 3000;
  double farm_camouflaged_share = 0.5;  // farms whose template sits near a genuine community
  double template_offset_sigma = 0.8;   // camouflaged template = community centre + N(0, s^2 I)
  double farm_sigma_min = 0.03;         // member spread log-uniform in [min, max] per farm
  double farm_sigma_max = 0.15;
  double farm_noisy_dims_max = 0.1;      // per farm, a fraction U[0, max] of each member's dims...
  double farm_noise_sigma = 0.3;         // ...get this much extra genuine-looking noise
  double planted_activity_jitter = 0.1;  // farm/network members: group activity + N(0, j^2)

  // Mass-reporting networks (kind 3); templates near genuine communities.
  double mass_report_fraction = 0.01;
  int64_t mass_report_min_size = 30;
  int64_t mass_report_max_size = 500;
  double mass_report_lockstep_share = 0.5;  // dimensions in lockstep
  double mass_report_lockstep_sigma = 0.03;
  double mass_report_loose_sigma = 0.15;

  // Near-duplicate groups (kind 4); templates drawn like genuine accounts.
  double duplicate_fraction = 0.01;
  int64_t duplicate_min_size = 2;
  int64_t duplicate_max_size = 20;
  double duplicate_sigma = 0.004;
  double duplicate_exact_share = 1.0 / 3.0;  // groups of identical rows
};

/// Throws InputError naming the first bad parameter ("--rows: must be at least 1").
void validate(const SynthParams& params);
/// All parameters as a JSON object string (stored in the file's "params" attribute).
std::string to_json(const SynthParams& params);

/// What was planted, for logs and tests.
struct SynthSummary {
  int64_t kind_rows[kAccountKindCount] = {};
  int64_t loners = 0;
  int64_t communities = 0;           // genuine (kind 0) communities
  int64_t dense_communities = 0;     // kind 1
  int64_t farms = 0;                 // click farms; ids 0..farms-1
  int64_t mass_report_networks = 0;  // ids farms..farms+networks-1
  int64_t duplicate_groups = 0;
  int64_t exact_duplicate_groups = 0;
};

/// A generated data set; rows are shuffled so that no group is contiguous.
struct SynthData {
  SynthParams params;
  int64_t rows = 0;
  int64_t dims = 0;
  std::vector<float> features;     // [rows x dims] row-major, raw (unstandardised) float32
  std::vector<int64_t> ids;        // unique, random-looking, not the row index
  std::vector<int64_t> farm;       // click farm or mass-reporting network id, -1 none
  std::vector<int64_t> dup_group;  // near-duplicate group id, -1 none
  std::vector<int32_t> kind;       // AccountKind codes
  std::vector<int64_t> community;  // genuine community id (kinds 0 and 1), -1 otherwise/loners
  SynthSummary summary;
};

/// Generates the data set. Deterministic in params (seed included), independent of
/// params.threads. Throws InputError for invalid params.
SynthData generate_synth(const SynthParams& params);

struct SynthWriteOptions {
  StoredFloat dtype = StoredFloat::float32;
  int64_t chunk_rows = 0;  // 0: contiguous, or 4096-row chunks when gzip is on
  int gzip_level = 0;      // 0-9
  bool overwrite = false;  // for the path overload of write_synth
};

/// Writes /accounts/features, /accounts/id and /truth/{farm,dup_group,kind,community} with the
/// root attributes "generator", "params" (JSON), "seed" and "version", atomically (temporary
/// file, then rename). InputError when the file exists without overwrite or options are bad.
void write_synth(const std::string& path, const SynthData& data,
                 const SynthWriteOptions& options = {});
/// The same datasets and attributes into an open writer, without committing it (the CLI opens
/// the writer first, so that a bad output path fails before a long generation).
void write_synth(H5Writer& writer, const SynthData& data, const SynthWriteOptions& options);
/// InputError for a gzip level outside 0-9 or negative chunk rows.
void validate(const SynthWriteOptions& options);

}  // namespace unfriend
