// A synthetic action log (who did what to which post, and when) with planted coordinated
// campaigns, hard negatives and ground truth: the tuning world of the lockstep-campaign detector
// (`unfriend synth --actions`). Its own generative story, unrelated to the feature generator's:
//
//   posts          ordinary posts published over the window (and a few days before it) with
//                  heavy-tailed popularity, plus the posts of fan pages, activist pages and like
//                  farms' customers, published in their page's daytime;
//   genuine        heavy-tailed numbers of visits; a visit picks a post by popularity, reacts
//                  after a heavy-tailed delay (minutes to days), deferred to the account's waking
//                  hours (own time zone and chronotype); a visit is a view, sometimes followed
//                  within seconds by a like, a comment, a share or, rarely, a report;
//   viral bursts   (hard negative) thousands of awake genuine accounts reacting to one post
//                  within hours of its publication;
//   dense_genuine  (hard negative) fan bases: genuine accounts that react to most posts of their
//                  pages within minutes to hours, each with their own typical delay, partial
//                  participation and waking hours, besides their ordinary activity;
//   click_farm     like farms: on each customer's order every available member likes (or shares,
//                  or comments) the post within a short window;
//   mass_report    networks that report the posts of activist pages (which get organic
//                  engagement too) in waves that start minutes after publication.
// A campaign (farm or network) may work in 2-4 cells, each cell hitting the same targets hours
// after the previous one; every member takes part in a wave with its own probability and a
// per-campaign share of its actions is camouflage: ordinary genuine visits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/io/action_log.h"  // ActionKind, the /actions/kind codes
#include "host/io/h5_writer.h"
#include "host/synth/account_kind.h"

namespace unfriend {

/// The "codes" attribute of /actions/kind: "0=view,1=like,2=comment,3=share,4=report".
std::string action_kind_codes();

/// How hard the world is for a detector. `hard`: looser windows, lower participation, more
/// camouflage, faster and bigger fan bases, more viral bursts.
enum class ActionSetting { standard, hard };
/// "default" or "hard"; InputError otherwise.
ActionSetting action_setting_from_string(const std::string& name);
std::string to_string(ActionSetting setting);  // "default" or "hard"

/// Every knob of the action-log generator. Times are seconds; fractions are of all accounts;
/// "lo/hi" pairs are ranges a value is drawn from (uniformly, or log-uniformly for sizes,
/// windows and delays). The defaults are the `default` setting; action_synth_params(hard)
/// changes the ones listed there.
struct ActionSynthParams {
  int64_t rows = 200000;  // accounts
  uint64_t seed = 1;
  int threads = 0;  // 0: all cores. The output never depends on it.
  ActionSetting setting = ActionSetting::standard;

  // The observation window [start_time, start_time + days * 86400).
  int64_t start_time = 1700000000;
  int days = 14;

  // Ordinary posts: posts_per_account * rows of them, published uniformly over the window and
  // the backlog_days before it; popularity ~ Pareto(popularity_alpha).
  double posts_per_account = 0.5;
  double backlog_days = 3;
  double popularity_alpha = 1.4;

  // Genuine visits per account ~ lognormal(log median, sigma), rounded, in [1, visits_max].
  double visits_median = 8;
  double visits_sigma = 1.7;
  int64_t visits_max = 4000;
  // Delay from a post's publication to a visit ~ lognormal(log median, sigma).
  double delay_median_s = 3 * 3600;
  double delay_sigma = 2.0;
  // What follows the view of a visit, each independently, seconds to minutes later.
  double like_prob = 0.35;
  double comment_prob = 0.05;
  double share_prob = 0.04;
  double report_prob = 0.002;

  // Waking hours, per account: asleep for sleep_hours_lo..hi hours centred sleep_after_peak_h
  // after the account's peak hour, awake(h) = sleep_floor then; awake, at local hour h,
  // day_base + (1 - day_base) exp(kappa (cos(2 pi (h - peak) / 24) - 1)), peak ~
  // N(peak_hour_mean, peak_hour_sd^2), kappa uniform in [lo, hi]. A reaction is accepted with
  // probability awake(h), else deferred by Exp(defer_mean_s) and tried again.
  double sleep_floor = 0.03;
  double day_base = 0.35;
  double peak_hour_mean = 20;
  double peak_hour_sd = 2;
  double kappa_lo = 0.5;
  double kappa_hi = 2.0;
  double sleep_hours_lo = 6;
  double sleep_hours_hi = 9;
  double sleep_after_peak_h = 8;
  double defer_mean_s = 2700;

  // Viral bursts: viral_bursts_per_100k * rows / 1e5 posts, each drawing viral_size_lo..hi awake
  // genuine accounts (at most viral_max_fraction of the genuine ones) that react after a
  // lognormal(viral_delay_median_s, viral_delay_sigma) delay.
  double viral_bursts_per_100k = 3;
  int64_t viral_size_lo = 1000;
  int64_t viral_size_hi = 8000;
  double viral_max_fraction = 0.1;
  double viral_delay_median_s = 2400;
  double viral_delay_sigma = 0.9;

  // Fan bases (dense_genuine): fan_fraction of the accounts in bases of fan_size_lo..hi, each
  // following fan_pages_lo..hi pages that post fan_posts_per_day_lo..hi times a day. A fan joins
  // a post with its own probability (fan_participation_lo..hi) after
  // lognormal(own median in fan_delay_lo_s..hi_s, fan_delay_sigma), then waking hours.
  double fan_fraction = 0.04;
  int64_t fan_size_lo = 200;
  int64_t fan_size_hi = 3000;
  int fan_pages_lo = 1;
  int fan_pages_hi = 3;
  double fan_posts_per_day_lo = 1;
  double fan_posts_per_day_hi = 4;
  double fan_participation_lo = 0.3;
  double fan_participation_hi = 0.9;
  double fan_delay_lo_s = 300;
  double fan_delay_hi_s = 2 * 3600;
  double fan_delay_sigma = 0.8;
  double fan_like_prob = 0.85;
  double fan_comment_prob = 0.2;
  double fan_share_prob = 0.1;
  double fan_popularity_boost = 2;  // organic popularity of fan and activist pages' posts

  // Campaigns: campaign_fraction of the accounts, farm_share of them in like farms, the rest in
  // mass-reporting networks.
  double campaign_fraction = 0.05;
  double farm_share = 0.6;
  int64_t farm_size_lo = 20;
  int64_t farm_size_hi = 5000;
  int64_t network_size_lo = 20;
  int64_t network_size_hi = 1000;
  // Per member: the probability of joining a wave, uniform in [lo, hi].
  double participation_lo = 0.6;
  double participation_hi = 0.95;
  // Per campaign: members act uniformly within a window log-uniform in [lo, hi] after their
  // cell's start.
  double window_lo_s = 300;
  double window_hi_s = 1200;
  // Per campaign: split into 2..cells_hi cells with probability cell_split_prob; cell c starts
  // c * shift (shift log-uniform in [lo, hi], +-10% per wave) after the first.
  double cell_split_prob = 0.5;
  int cells_hi = 4;
  double cell_shift_lo_s = 2 * 3600;
  double cell_shift_hi_s = 8 * 3600;
  // Per campaign: camouflage share of its members' actions, uniform in [0, camouflage_max].
  double camouflage_max = 1.0 / 3.0;
  // A campaign action is preceded by a view 2-90 s earlier with this probability.
  double view_before_prob = 0.5;

  // Like farms: customer_pages_per_farm customer pages per farm in a shared pool, each farm
  // serving farm_customers_lo..hi of them; farm_orders_lo..hi orders per farm, each on a
  // customer post, starting up to order_delay_max_s after publication, asking for a share
  // order_share_lo..1 of the farm; an order is for likes, else shares (order_share_prob), else
  // comments (order_comment_prob).
  int customer_pages_per_farm = 3;
  int farm_customers_lo = 2;
  int farm_customers_hi = 5;
  double customer_posts_per_day_lo = 0.5;
  double customer_posts_per_day_hi = 2;
  int farm_orders_lo = 10;
  int farm_orders_hi = 40;
  double order_delay_max_s = 12 * 3600;
  double order_share_lo = 0.5;
  double order_share_prob = 0.1;
  double order_comment_prob = 0.05;

  // Mass reporting: activist_pages_per_network * networks activist pages (at least 3), posting
  // activist_posts_per_day_lo..hi times a day; each network targets network_pages_lo..hi of
  // them and attacks a post with probability wave_prob, starting wave_delay_lo_s..hi_s after
  // its publication.
  double activist_pages_per_network = 2;
  double activist_posts_per_day_lo = 1;
  double activist_posts_per_day_hi = 4;
  int network_pages_lo = 1;
  int network_pages_hi = 4;
  double wave_prob = 0.85;
  double wave_delay_lo_s = 60;
  double wave_delay_hi_s = 900;
};

/// The knobs of a setting (rows, seed and threads at their defaults).
ActionSynthParams action_synth_params(ActionSetting setting);
/// Throws InputError naming the first bad parameter ("--rows: must be at least 1").
void validate(const ActionSynthParams& params);
/// All parameters as a JSON object string (the file's "params" attribute).
std::string to_json(const ActionSynthParams& params);

/// What was planted, for logs and tests.
struct ActionSummary {
  int64_t kind_accounts[kAccountKindCount] = {};
  int64_t action_kinds[kActionKindCount] = {};
  int64_t actions = 0;
  int64_t posts = 0;
  int64_t fan_bases = 0;        // community ids 0..fan_bases-1
  int64_t farms = 0;            // campaign ids 0..farms-1
  int64_t networks = 0;         // campaign ids farms..farms+networks-1
  int64_t split_campaigns = 0;  // campaigns working in 2 or more cells
  int64_t viral_bursts = 0;
  int64_t activist_pages = 0;
  int64_t customer_pages = 0;
};

/// The log, one entry per action, in a shuffled order.
struct ActionColumns {
  std::vector<int64_t> account;  // account id (as in AccountTruth::account)
  std::vector<int64_t> target;   // post id, non-negative
  std::vector<int64_t> time;     // Unix seconds, inside the window
  std::vector<int32_t> kind;     // ActionKind codes
};

/// One entry per account, in a shuffled order.
struct AccountTruth {
  std::vector<int64_t> account;    // distinct positive ids, random-looking
  std::vector<int32_t> kind;       // AccountKind codes (near_duplicate is not used)
  std::vector<int64_t> campaign;   // farm or network id for click_farm/mass_report, else -1
  std::vector<int64_t> community;  // fan base id for dense_genuine, else -1
  std::vector<int32_t> cell;       // a campaign member's cell (0..cells-1), else -1
};

struct ActionLog {
  ActionSynthParams params;
  ActionColumns actions;
  AccountTruth truth;
  ActionSummary summary;
};

/// Generates the log. Deterministic in params (seed and setting included), independent of
/// params.threads. Throws InputError for invalid params.
ActionLog generate_action_log(const ActionSynthParams& params);

/// Writes /actions/{account,target,time,kind} and /truth/{account,kind,campaign,community,cell}
/// (chunks of 1<<20 rows) with the root attributes "generator", "seed", "setting", "rows"
/// (accounts), "actions", "params" (JSON) and "version", into an open writer without committing
/// it (the CLI opens the writer first, so that a bad output path fails before the generation).
void write_action_log(H5Writer& writer, const ActionLog& log);
/// The same, atomically into `path` (temporary file, then rename). InputError when the file
/// exists without overwrite.
void write_action_log(const std::string& path, const ActionLog& log, bool overwrite = false);

}  // namespace unfriend
