// SynthParams: names, validation and the JSON record stored with every generated file.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "host/core/error.h"
#include "host/synth/param_checks.h"
#include "host/synth/synth.h"

namespace unfriend {

namespace {

// Options the CLI exposes are named as the user typed them; the rest by their field name.
std::string display_name(const std::string& field) {
  if (field == "rows" || field == "dims" || field == "seed" || field == "threads") {
    return "--" + field;
  }
  return "synth parameter " + field;
}

const ParamChecks check(display_name);

}  // namespace

void validate(const SynthParams& p) {
  check.require(p.rows >= 1, "rows", "at least 1", static_cast<double>(p.rows));
  check.require(p.dims >= 1, "dims", "at least 1", static_cast<double>(p.dims));
  check.require(p.threads >= 0, "threads", "0 (all cores) or more", p.threads);

  check.non_negative(p.scale_log_sigma, "scale_log_sigma");
  check.non_negative(p.offset_sigma, "offset_sigma");
  check.non_negative(p.activity_strength, "activity_strength");
  check.require(p.activity_dof >= 1, "activity_dof", "at least 1", p.activity_dof);
  check.positive(p.activity_clip, "activity_clip");

  check.share(p.loner_fraction, "loner_fraction");
  check.require(p.community_min_size >= 2, "community_min_size", "at least 2",
                static_cast<double>(p.community_min_size));
  check.share(p.community_max_fraction, "community_max_fraction");
  check.require(std::isfinite(p.community_size_exponent) && p.community_size_exponent > 1,
                "community_size_exponent", "greater than 1", p.community_size_exponent);
  check.positive(p.community_sigma_min, "community_sigma_min");
  check.range(p.community_sigma_min, p.community_sigma_max, "community_sigma_min",
              "community_sigma_max");
  check.positive(p.anisotropy_min, "anisotropy_min");
  check.range(p.anisotropy_min, p.anisotropy_max, "anisotropy_min", "anisotropy_max");

  check.fraction(p.dense_fraction, "dense_fraction");
  check.require(p.dense_min_count >= 1, "dense_min_count", "at least 1", p.dense_min_count);
  check.range(p.dense_min_count, p.dense_max_count, "dense_min_count", "dense_max_count");
  check.require(p.dense_min_size >= 2, "dense_min_size", "at least 2",
                static_cast<double>(p.dense_min_size));
  check.range(static_cast<double>(p.dense_min_size), static_cast<double>(p.dense_max_size),
              "dense_min_size", "dense_max_size");
  check.positive(p.dense_sigma_min, "dense_sigma_min");
  check.range(p.dense_sigma_min, p.dense_sigma_max, "dense_sigma_min", "dense_sigma_max");

  check.fraction(p.farm_fraction, "farm_fraction");
  check.require(p.farm_min_size >= 2, "farm_min_size", "at least 2",
                static_cast<double>(p.farm_min_size));
  check.range(static_cast<double>(p.farm_min_size), static_cast<double>(p.farm_max_size),
              "farm_min_size", "farm_max_size");
  check.share(p.farm_camouflaged_share, "farm_camouflaged_share");
  check.non_negative(p.template_offset_sigma, "template_offset_sigma");
  check.positive(p.farm_sigma_min, "farm_sigma_min");
  check.range(p.farm_sigma_min, p.farm_sigma_max, "farm_sigma_min", "farm_sigma_max");
  check.share(p.farm_noisy_dims_max, "farm_noisy_dims_max");
  check.non_negative(p.farm_noise_sigma, "farm_noise_sigma");
  check.non_negative(p.planted_activity_jitter, "planted_activity_jitter");

  check.fraction(p.mass_report_fraction, "mass_report_fraction");
  check.require(p.mass_report_min_size >= 2, "mass_report_min_size", "at least 2",
                static_cast<double>(p.mass_report_min_size));
  check.range(static_cast<double>(p.mass_report_min_size),
              static_cast<double>(p.mass_report_max_size), "mass_report_min_size",
              "mass_report_max_size");
  check.share(p.mass_report_lockstep_share, "mass_report_lockstep_share");
  check.non_negative(p.mass_report_lockstep_sigma, "mass_report_lockstep_sigma");
  check.non_negative(p.mass_report_loose_sigma, "mass_report_loose_sigma");

  check.fraction(p.duplicate_fraction, "duplicate_fraction");
  check.require(p.duplicate_min_size >= 2, "duplicate_min_size", "at least 2",
                static_cast<double>(p.duplicate_min_size));
  check.range(static_cast<double>(p.duplicate_min_size), static_cast<double>(p.duplicate_max_size),
              "duplicate_min_size", "duplicate_max_size");
  check.non_negative(p.duplicate_sigma, "duplicate_sigma");
  check.share(p.duplicate_exact_share, "duplicate_exact_share");

  const double planted =
      p.dense_fraction + p.farm_fraction + p.mass_report_fraction + p.duplicate_fraction;
  check.require(planted < 1,
                "dense_fraction + farm_fraction + mass_report_fraction + duplicate_fraction",
                "below 1", planted);
}

std::string to_json(const SynthParams& p) {
  nlohmann::ordered_json j;
  j["rows"] = p.rows;
  j["dims"] = p.dims;
  j["seed"] = p.seed;
  j["scale_log_sigma"] = p.scale_log_sigma;
  j["offset_sigma"] = p.offset_sigma;
  j["activity_strength"] = p.activity_strength;
  j["activity_dof"] = p.activity_dof;
  j["activity_clip"] = p.activity_clip;
  j["loner_fraction"] = p.loner_fraction;
  j["community_min_size"] = p.community_min_size;
  j["community_max_fraction"] = p.community_max_fraction;
  j["community_size_exponent"] = p.community_size_exponent;
  j["community_sigma_min"] = p.community_sigma_min;
  j["community_sigma_max"] = p.community_sigma_max;
  j["anisotropy_min"] = p.anisotropy_min;
  j["anisotropy_max"] = p.anisotropy_max;
  j["dense_fraction"] = p.dense_fraction;
  j["dense_min_count"] = p.dense_min_count;
  j["dense_max_count"] = p.dense_max_count;
  j["dense_min_size"] = p.dense_min_size;
  j["dense_max_size"] = p.dense_max_size;
  j["dense_sigma_min"] = p.dense_sigma_min;
  j["dense_sigma_max"] = p.dense_sigma_max;
  j["farm_fraction"] = p.farm_fraction;
  j["farm_min_size"] = p.farm_min_size;
  j["farm_max_size"] = p.farm_max_size;
  j["farm_camouflaged_share"] = p.farm_camouflaged_share;
  j["template_offset_sigma"] = p.template_offset_sigma;
  j["farm_sigma_min"] = p.farm_sigma_min;
  j["farm_sigma_max"] = p.farm_sigma_max;
  j["farm_noisy_dims_max"] = p.farm_noisy_dims_max;
  j["farm_noise_sigma"] = p.farm_noise_sigma;
  j["planted_activity_jitter"] = p.planted_activity_jitter;
  j["mass_report_fraction"] = p.mass_report_fraction;
  j["mass_report_min_size"] = p.mass_report_min_size;
  j["mass_report_max_size"] = p.mass_report_max_size;
  j["mass_report_lockstep_share"] = p.mass_report_lockstep_share;
  j["mass_report_lockstep_sigma"] = p.mass_report_lockstep_sigma;
  j["mass_report_loose_sigma"] = p.mass_report_loose_sigma;
  j["duplicate_fraction"] = p.duplicate_fraction;
  j["duplicate_min_size"] = p.duplicate_min_size;
  j["duplicate_max_size"] = p.duplicate_max_size;
  j["duplicate_sigma"] = p.duplicate_sigma;
  j["duplicate_exact_share"] = p.duplicate_exact_share;
  return j.dump();
}

}  // namespace unfriend
