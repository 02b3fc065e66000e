// The generator's plan: how many rows of each kind, how they split into groups, and each
// group's parameters in the latent space. Built single-threaded from the seed (it is small:
// one entry per group), so the parallel row generation only reads it.
#pragma once

#include <cstdint>
#include <vector>

#include "host/synth/random.h"
#include "host/synth/synth.h"

namespace unfriend::synth {

/// Random stream ids (see derive_key): one per use of randomness.
enum Stream : uint64_t {
  kStreamSpace = 1,       // feature scales, offsets, activity direction
  kStreamSizes = 2,       // group sizes
  kStreamCommunity = 3,   // per genuine/dense community
  kStreamFarm = 4,        // per click farm
  kStreamMassReport = 5,  // per mass-reporting network
  kStreamDuplicate = 6,   // per near-duplicate group
  kStreamRow = 7,         // per row, indexed by planned row
  kStreamShuffle = 8,     // the row permutation
  kStreamIds = 9,         // the account id key
};

/// Log-uniform group sizes in [lo, hi] drawn until they sum to `total` exactly (the last ones
/// adjusted; outside [lo, hi] only when hi < 2 lo makes an exact split impossible). A total below
/// lo gives one group of `total` when total >= 2 (small data sets still get something of every
/// kind), else none.
std::vector<int64_t> split_log_uniform(int64_t total, int64_t lo, int64_t hi, Rng& rng);

/// Power-law sizes (density ~ size^-exponent) in [lo, hi] summing to `total`; a remainder below
/// lo joins the last group. A total below lo gives one group when total >= 2, else none.
std::vector<int64_t> split_power_law(int64_t total, int64_t lo, int64_t hi, double exponent,
                                     Rng& rng);

/// Between min_count and max_count groups (fewer when total cannot give each lo rows) with
/// log-uniform weights in [lo, hi], scaled to sum to `total` exactly and kept in [lo, hi]; sizes
/// leave [lo, hi] only when total does not fit (then proportional to the weights).
std::vector<int64_t> split_counted(int64_t total, int min_count, int max_count, int64_t lo,
                                   int64_t hi, Rng& rng);

/// Student-t activity clipped to +-clip.
double draw_activity(Rng& rng, const SynthParams& params);

enum class Activity {
  individual,  // each account draws its own heavy-tailed activity
  group,       // group activity_mean + N(0, planted_activity_jitter^2)
  none,        // already part of the centre (near-duplicate templates)
};

/// Rows [first, first + rows) of the planned (pre-shuffle) order.
struct Group {
  AccountKind kind = AccountKind::genuine;
  int64_t first = 0;
  int64_t rows = 0;
  int64_t farm = -1;
  int64_t dup_group = -1;
  int64_t community = -1;
  bool loners = false;        // each row draws its own centre and spread; centre/sigma unused
  std::vector<float> centre;  // latent [dims]
  std::vector<float> sigma;   // latent spread per dimension [dims]; empty: exact copies
  Activity activity = Activity::individual;
  double activity_mean = 0;
  double noisy_dims_fraction = 0;  // click farms: share of each member's dims with extra noise
};

struct Plan {
  int64_t rows = 0;
  int64_t dims = 0;
  std::vector<double> scale;  // raw = offset + scale * latent
  std::vector<double> offset;
  std::vector<double> activity;  // unit direction times activity_strength
  std::vector<Group> groups;     // consecutive, covering [0, rows)
  SynthSummary summary;
};

Plan make_plan(const SynthParams& params);

}  // namespace unfriend::synth
