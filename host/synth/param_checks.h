// Range checks of generator parameters, shared by `synth` and `synth --actions`: each failure
// is one InputError line naming the option as the user knows it.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "host/core/error.h"

namespace unfriend {

class ParamChecks {
 public:
  /// `display` names a field as the user knows it ("--rows", "synth parameter farm_size").
  explicit ParamChecks(std::string (*display)(const std::string&)) : display_(display) {}

  void require(bool ok, const std::string& field, const std::string& rule, double value) const {
    if (!ok) throw InputError(fmt::format("{}: must be {}, got {}", display_(field), rule, value));
  }
  void fraction(double value, const std::string& field) const {
    require(std::isfinite(value) && value >= 0 && value < 1, field, "in [0, 1)", value);
  }
  void share(double value, const std::string& field) const {
    require(std::isfinite(value) && value >= 0 && value <= 1, field, "in [0, 1]", value);
  }
  void positive(double value, const std::string& field) const {
    require(std::isfinite(value) && value > 0, field, "positive", value);
  }
  void non_negative(double value, const std::string& field) const {
    require(std::isfinite(value) && value >= 0, field, "non-negative", value);
  }
  void range(double lo, double hi, const std::string& lo_field, const std::string& hi_field) const {
    require(lo <= hi, hi_field, fmt::format("at least {} ({})", lo_field, lo), hi);
  }

 private:
  std::string (*display_)(const std::string&);
};

}  // namespace unfriend
