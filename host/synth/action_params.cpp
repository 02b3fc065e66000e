// ActionSynthParams: the two settings, validation and the JSON record stored with the log.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "host/core/error.h"
#include "host/synth/action_synth.h"
#include "host/synth/param_checks.h"

namespace unfriend {

std::string action_kind_codes() {
  std::string codes;
  for (int k = 0; k < kActionKindCount; ++k) {
    if (k > 0) codes += ',';
    codes += std::to_string(k) + '=' + action_kind_name(k);
  }
  return codes;
}

ActionSetting action_setting_from_string(const std::string& name) {
  if (name == "default") return ActionSetting::standard;
  if (name == "hard") return ActionSetting::hard;
  throw InputError(fmt::format("--setting: must be default or hard, got '{}'", name));
}

std::string to_string(ActionSetting setting) {
  return setting == ActionSetting::hard ? "hard" : "default";
}

ActionSynthParams action_synth_params(ActionSetting setting) {
  ActionSynthParams p;
  p.setting = setting;
  if (setting == ActionSetting::hard) {
    // Campaigns look more like people: slower, patchier, better hidden, split more often...
    p.window_lo_s = 900;
    p.window_hi_s = 3600;
    p.participation_lo = 0.35;
    p.participation_hi = 0.8;
    p.camouflage_max = 0.5;
    p.cell_split_prob = 0.7;
    p.wave_prob = 0.6;
    p.wave_delay_hi_s = 2700;
    // ...and people look more like campaigns: bigger, faster fan bases, more viral bursts.
    p.fan_fraction = 0.07;
    p.fan_size_lo = 500;
    p.fan_size_hi = 6000;
    p.fan_delay_lo_s = 180;
    p.fan_delay_hi_s = 5400;
    p.viral_bursts_per_100k = 8;
  }
  return p;
}

namespace {

// Options the CLI exposes are named as the user typed them; the rest by their field name.
std::string display_name(const std::string& field) {
  if (field == "rows" || field == "seed" || field == "threads") return "--" + field;
  return "synth --actions parameter " + field;
}

const ParamChecks check(display_name);

void require_positive_range(double lo, double hi, const std::string& lo_field,
                            const std::string& hi_field) {
  check.positive(lo, lo_field);
  check.require(std::isfinite(hi), hi_field, "finite", hi);
  check.range(lo, hi, lo_field, hi_field);
}

void require_share_range(double lo, double hi, const std::string& lo_field,
                         const std::string& hi_field) {
  check.share(lo, lo_field);
  check.share(hi, hi_field);
  check.range(lo, hi, lo_field, hi_field);
}

void require_size_range(int64_t lo, int64_t hi, const std::string& lo_field,
                        const std::string& hi_field) {
  check.require(lo >= 2, lo_field, "at least 2", static_cast<double>(lo));
  check.range(static_cast<double>(lo), static_cast<double>(hi), lo_field, hi_field);
}

// Far above anything that fits in memory (about 50 actions of 28 bytes per account), low
// enough that counts stay far from overflow.
constexpr int64_t kMaxAccounts = 100'000'000;

}  // namespace

void validate(const ActionSynthParams& p) {
  check.require(p.rows >= 1 && p.rows <= kMaxAccounts, "rows", fmt::format("1 to {}", kMaxAccounts),
                static_cast<double>(p.rows));
  check.require(p.threads >= 0, "threads", "0 (all cores) or more", p.threads);
  check.require(p.start_time >= 0, "start_time", "non-negative", static_cast<double>(p.start_time));
  check.require(p.days >= 1 && p.days <= 3650, "days", "1 to 3650", p.days);

  check.require(
      std::isfinite(p.posts_per_account) && p.posts_per_account >= 0 && p.posts_per_account <= 20,
      "posts_per_account", "in [0, 20]", p.posts_per_account);
  check.non_negative(p.backlog_days, "backlog_days");
  check.positive(p.popularity_alpha, "popularity_alpha");
  check.positive(p.visits_median, "visits_median");
  check.non_negative(p.visits_sigma, "visits_sigma");
  check.require(p.visits_max >= 1, "visits_max", "at least 1", static_cast<double>(p.visits_max));
  check.positive(p.delay_median_s, "delay_median_s");
  check.non_negative(p.delay_sigma, "delay_sigma");
  check.share(p.like_prob, "like_prob");
  check.share(p.comment_prob, "comment_prob");
  check.share(p.share_prob, "share_prob");
  check.share(p.report_prob, "report_prob");

  check.share(p.sleep_floor, "sleep_floor");
  check.require(p.sleep_floor > 0, "sleep_floor", "positive", p.sleep_floor);
  check.share(p.day_base, "day_base");
  check.require(std::isfinite(p.peak_hour_mean), "peak_hour_mean", "finite", p.peak_hour_mean);
  check.non_negative(p.peak_hour_sd, "peak_hour_sd");
  check.non_negative(p.kappa_lo, "kappa_lo");
  check.require(std::isfinite(p.kappa_hi), "kappa_hi", "finite", p.kappa_hi);
  check.range(p.kappa_lo, p.kappa_hi, "kappa_lo", "kappa_hi");
  check.non_negative(p.sleep_hours_lo, "sleep_hours_lo");
  check.require(p.sleep_hours_hi <= 20, "sleep_hours_hi", "at most 20", p.sleep_hours_hi);
  check.range(p.sleep_hours_lo, p.sleep_hours_hi, "sleep_hours_lo", "sleep_hours_hi");
  check.require(std::isfinite(p.sleep_after_peak_h), "sleep_after_peak_h", "finite",
                p.sleep_after_peak_h);
  check.positive(p.defer_mean_s, "defer_mean_s");

  check.non_negative(p.viral_bursts_per_100k, "viral_bursts_per_100k");
  require_size_range(p.viral_size_lo, p.viral_size_hi, "viral_size_lo", "viral_size_hi");
  check.share(p.viral_max_fraction, "viral_max_fraction");
  check.positive(p.viral_delay_median_s, "viral_delay_median_s");
  check.non_negative(p.viral_delay_sigma, "viral_delay_sigma");

  check.share(p.fan_fraction, "fan_fraction");
  require_size_range(p.fan_size_lo, p.fan_size_hi, "fan_size_lo", "fan_size_hi");
  check.require(p.fan_pages_lo >= 1, "fan_pages_lo", "at least 1", p.fan_pages_lo);
  check.range(p.fan_pages_lo, p.fan_pages_hi, "fan_pages_lo", "fan_pages_hi");
  require_positive_range(p.fan_posts_per_day_lo, p.fan_posts_per_day_hi, "fan_posts_per_day_lo",
                         "fan_posts_per_day_hi");
  require_share_range(p.fan_participation_lo, p.fan_participation_hi, "fan_participation_lo",
                      "fan_participation_hi");
  require_positive_range(p.fan_delay_lo_s, p.fan_delay_hi_s, "fan_delay_lo_s", "fan_delay_hi_s");
  check.non_negative(p.fan_delay_sigma, "fan_delay_sigma");
  check.share(p.fan_like_prob, "fan_like_prob");
  check.share(p.fan_comment_prob, "fan_comment_prob");
  check.share(p.fan_share_prob, "fan_share_prob");
  check.positive(p.fan_popularity_boost, "fan_popularity_boost");

  check.share(p.campaign_fraction, "campaign_fraction");
  check.require(p.fan_fraction + p.campaign_fraction < 1, "fan_fraction + campaign_fraction",
                "below 1", p.fan_fraction + p.campaign_fraction);
  check.share(p.farm_share, "farm_share");
  require_size_range(p.farm_size_lo, p.farm_size_hi, "farm_size_lo", "farm_size_hi");
  require_size_range(p.network_size_lo, p.network_size_hi, "network_size_lo", "network_size_hi");
  require_share_range(p.participation_lo, p.participation_hi, "participation_lo",
                      "participation_hi");
  require_positive_range(p.window_lo_s, p.window_hi_s, "window_lo_s", "window_hi_s");
  check.share(p.cell_split_prob, "cell_split_prob");
  check.require(p.cells_hi >= 2 && p.cells_hi <= 64, "cells_hi", "2 to 64", p.cells_hi);
  require_positive_range(p.cell_shift_lo_s, p.cell_shift_hi_s, "cell_shift_lo_s",
                         "cell_shift_hi_s");
  check.require(std::isfinite(p.camouflage_max) && p.camouflage_max >= 0 && p.camouflage_max < 1,
                "camouflage_max", "in [0, 1)", p.camouflage_max);
  check.share(p.view_before_prob, "view_before_prob");

  check.require(p.customer_pages_per_farm >= 1, "customer_pages_per_farm", "at least 1",
                p.customer_pages_per_farm);
  check.require(p.farm_customers_lo >= 1, "farm_customers_lo", "at least 1", p.farm_customers_lo);
  check.range(p.farm_customers_lo, p.farm_customers_hi, "farm_customers_lo", "farm_customers_hi");
  require_positive_range(p.customer_posts_per_day_lo, p.customer_posts_per_day_hi,
                         "customer_posts_per_day_lo", "customer_posts_per_day_hi");
  check.require(p.farm_orders_lo >= 1, "farm_orders_lo", "at least 1", p.farm_orders_lo);
  check.range(p.farm_orders_lo, p.farm_orders_hi, "farm_orders_lo", "farm_orders_hi");
  check.non_negative(p.order_delay_max_s, "order_delay_max_s");
  check.share(p.order_share_lo, "order_share_lo");
  check.share(p.order_share_prob, "order_share_prob");
  check.share(p.order_comment_prob, "order_comment_prob");
  check.require(p.order_share_prob + p.order_comment_prob <= 1,
                "order_share_prob + order_comment_prob", "at most 1",
                p.order_share_prob + p.order_comment_prob);

  check.non_negative(p.activist_pages_per_network, "activist_pages_per_network");
  require_positive_range(p.activist_posts_per_day_lo, p.activist_posts_per_day_hi,
                         "activist_posts_per_day_lo", "activist_posts_per_day_hi");
  check.require(p.network_pages_lo >= 1, "network_pages_lo", "at least 1", p.network_pages_lo);
  check.range(p.network_pages_lo, p.network_pages_hi, "network_pages_lo", "network_pages_hi");
  check.share(p.wave_prob, "wave_prob");
  check.non_negative(p.wave_delay_lo_s, "wave_delay_lo_s");
  check.require(std::isfinite(p.wave_delay_hi_s), "wave_delay_hi_s", "finite", p.wave_delay_hi_s);
  check.range(p.wave_delay_lo_s, p.wave_delay_hi_s, "wave_delay_lo_s", "wave_delay_hi_s");
}

std::string to_json(const ActionSynthParams& p) {
  nlohmann::ordered_json j;
  j["rows"] = p.rows;
  j["seed"] = p.seed;
  j["setting"] = to_string(p.setting);
  j["start_time"] = p.start_time;
  j["days"] = p.days;
  j["posts_per_account"] = p.posts_per_account;
  j["backlog_days"] = p.backlog_days;
  j["popularity_alpha"] = p.popularity_alpha;
  j["visits_median"] = p.visits_median;
  j["visits_sigma"] = p.visits_sigma;
  j["visits_max"] = p.visits_max;
  j["delay_median_s"] = p.delay_median_s;
  j["delay_sigma"] = p.delay_sigma;
  j["like_prob"] = p.like_prob;
  j["comment_prob"] = p.comment_prob;
  j["share_prob"] = p.share_prob;
  j["report_prob"] = p.report_prob;
  j["sleep_floor"] = p.sleep_floor;
  j["day_base"] = p.day_base;
  j["peak_hour_mean"] = p.peak_hour_mean;
  j["peak_hour_sd"] = p.peak_hour_sd;
  j["kappa_lo"] = p.kappa_lo;
  j["kappa_hi"] = p.kappa_hi;
  j["sleep_hours_lo"] = p.sleep_hours_lo;
  j["sleep_hours_hi"] = p.sleep_hours_hi;
  j["sleep_after_peak_h"] = p.sleep_after_peak_h;
  j["defer_mean_s"] = p.defer_mean_s;
  j["viral_bursts_per_100k"] = p.viral_bursts_per_100k;
  j["viral_size_lo"] = p.viral_size_lo;
  j["viral_size_hi"] = p.viral_size_hi;
  j["viral_max_fraction"] = p.viral_max_fraction;
  j["viral_delay_median_s"] = p.viral_delay_median_s;
  j["viral_delay_sigma"] = p.viral_delay_sigma;
  j["fan_fraction"] = p.fan_fraction;
  j["fan_size_lo"] = p.fan_size_lo;
  j["fan_size_hi"] = p.fan_size_hi;
  j["fan_pages_lo"] = p.fan_pages_lo;
  j["fan_pages_hi"] = p.fan_pages_hi;
  j["fan_posts_per_day_lo"] = p.fan_posts_per_day_lo;
  j["fan_posts_per_day_hi"] = p.fan_posts_per_day_hi;
  j["fan_participation_lo"] = p.fan_participation_lo;
  j["fan_participation_hi"] = p.fan_participation_hi;
  j["fan_delay_lo_s"] = p.fan_delay_lo_s;
  j["fan_delay_hi_s"] = p.fan_delay_hi_s;
  j["fan_delay_sigma"] = p.fan_delay_sigma;
  j["fan_like_prob"] = p.fan_like_prob;
  j["fan_comment_prob"] = p.fan_comment_prob;
  j["fan_share_prob"] = p.fan_share_prob;
  j["fan_popularity_boost"] = p.fan_popularity_boost;
  j["campaign_fraction"] = p.campaign_fraction;
  j["farm_share"] = p.farm_share;
  j["farm_size_lo"] = p.farm_size_lo;
  j["farm_size_hi"] = p.farm_size_hi;
  j["network_size_lo"] = p.network_size_lo;
  j["network_size_hi"] = p.network_size_hi;
  j["participation_lo"] = p.participation_lo;
  j["participation_hi"] = p.participation_hi;
  j["window_lo_s"] = p.window_lo_s;
  j["window_hi_s"] = p.window_hi_s;
  j["cell_split_prob"] = p.cell_split_prob;
  j["cells_hi"] = p.cells_hi;
  j["cell_shift_lo_s"] = p.cell_shift_lo_s;
  j["cell_shift_hi_s"] = p.cell_shift_hi_s;
  j["camouflage_max"] = p.camouflage_max;
  j["view_before_prob"] = p.view_before_prob;
  j["customer_pages_per_farm"] = p.customer_pages_per_farm;
  j["farm_customers_lo"] = p.farm_customers_lo;
  j["farm_customers_hi"] = p.farm_customers_hi;
  j["customer_posts_per_day_lo"] = p.customer_posts_per_day_lo;
  j["customer_posts_per_day_hi"] = p.customer_posts_per_day_hi;
  j["farm_orders_lo"] = p.farm_orders_lo;
  j["farm_orders_hi"] = p.farm_orders_hi;
  j["order_delay_max_s"] = p.order_delay_max_s;
  j["order_share_lo"] = p.order_share_lo;
  j["order_share_prob"] = p.order_share_prob;
  j["order_comment_prob"] = p.order_comment_prob;
  j["activist_pages_per_network"] = p.activist_pages_per_network;
  j["activist_posts_per_day_lo"] = p.activist_posts_per_day_lo;
  j["activist_posts_per_day_hi"] = p.activist_posts_per_day_hi;
  j["network_pages_lo"] = p.network_pages_lo;
  j["network_pages_hi"] = p.network_pages_hi;
  j["wave_prob"] = p.wave_prob;
  j["wave_delay_lo_s"] = p.wave_delay_lo_s;
  j["wave_delay_hi_s"] = p.wave_delay_hi_s;
  return j.dump();
}

}  // namespace unfriend
