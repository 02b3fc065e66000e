#include "host/importer/transforms.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "host/importer/timestamp.h"

namespace unfriend {
namespace {

struct TransformName {
  Transform transform;
  const char* name;
};

constexpr TransformName kNames[] = {
    {Transform::number, "number"},
    {Transform::log1p, "log1p"},
    {Transform::ratio, "ratio"},
    {Transform::per_day, "per_day"},
    {Transform::boolean, "bool"},
    {Transform::length, "length"},
    {Transform::digit_share, "digit_share"},
    {Transform::age_days, "age_days"},
    {Transform::hour_sin, "hour_sin"},
    {Transform::hour_cos, "hour_cos"},
    {Transform::weekday_sin, "weekday_sin"},
    {Transform::weekday_cos, "weekday_cos"},
    {Transform::year, "year"},
};

constexpr double kTwoPi = 6.283185307179586476925286766559;
constexpr double kSecondsPerDay = 86400.0;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Long fields are cut in messages so an error stays one readable line.
std::string quote_for_message(std::string_view text) {
  constexpr size_t kMax = 40;
  std::string shown(text.substr(0, kMax));
  for (char& c : shown) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text.size() > kMax ? fmt::format("'{}...'", shown) : fmt::format("'{}'", shown);
}

bool number_or_why(std::string_view text, double& out, std::string& why) {
  if (parse_number(text, out)) return true;
  why = fmt::format("{} is not a number", quote_for_message(text));
  return false;
}

bool timestamp_or_why(std::string_view text, double& out, std::string& why) {
  const std::optional<double> seconds = parse_timestamp(text);
  if (seconds) {
    out = *seconds;
    return true;
  }
  why = fmt::format(
      "{} is not a timestamp (expected e.g. 'Tue Jun 11 11:20:35 +0000 2013', "
      "'2013-06-11 11:20:35' or '2013-06-11T11:20:35Z')",
      quote_for_message(text));
  return false;
}

double positive_log1p(double x) { return std::log1p(std::max(x, 0.0)); }

}  // namespace

std::string to_string(Transform transform) {
  for (const auto& entry : kNames) {
    if (entry.transform == transform) return entry.name;
  }
  return "unknown";
}

bool transform_from_string(const std::string& name, Transform& out) {
  for (const auto& entry : kNames) {
    if (name == entry.name) {
      out = entry.transform;
      return true;
    }
  }
  return false;
}

std::vector<std::string> transform_names() {
  std::vector<std::string> names;
  for (const auto& entry : kNames) names.emplace_back(entry.name);
  return names;
}

bool needs_second_column(Transform transform) {
  return transform == Transform::ratio || transform == Transform::per_day;
}

bool needs_reference_time(Transform transform) {
  return transform == Transform::age_days || transform == Transform::per_day;
}

bool parse_number(std::string_view text, double& out) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  double value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return false;
  if (!std::isfinite(value)) return false;
  out = value;
  return true;
}

bool parse_bool(std::string_view text, bool& out) {
  text = trim(text);
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "y" || lower == "t") {
    out = true;
    return true;
  }
  if (lower == "0" || lower == "false" || lower == "no" || lower == "n" || lower == "f") {
    out = false;
    return true;
  }
  return false;
}

int64_t utf8_length(std::string_view text) {
  int64_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

double digit_share(std::string_view text) {
  const int64_t characters = utf8_length(text);
  if (characters == 0) return 0.0;
  const auto digits =
      std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  return static_cast<double>(digits) / static_cast<double>(characters);
}

bool apply_transform(Transform transform, std::string_view value, std::string_view second,
                     double reference_time, double& out, std::string& why) {
  double x = 0;
  double t = 0;
  switch (transform) {
    case Transform::number:
      if (!number_or_why(value, x, why)) return false;
      out = x;
      break;
    case Transform::log1p:
      if (!number_or_why(value, x, why)) return false;
      out = positive_log1p(x);
      break;
    case Transform::ratio: {
      double denominator = 0;
      if (!number_or_why(value, x, why) || !number_or_why(second, denominator, why)) return false;
      out = positive_log1p(x) - positive_log1p(denominator);
      break;
    }
    case Transform::per_day: {
      if (!number_or_why(value, x, why) || !timestamp_or_why(second, t, why)) return false;
      // An account younger than a day counts as one day old, so a brand-new account's burst of
      // activity is a large rate and not a division by almost zero.
      const double age_days = std::max((reference_time - t) / kSecondsPerDay, 1.0);
      out = std::log1p(std::max(x, 0.0) / age_days);
      break;
    }
    case Transform::boolean: {
      bool flag = false;
      if (!parse_bool(value, flag)) {
        why = fmt::format("{} is not a boolean (expected 1/0, true/false, yes/no)",
                          quote_for_message(value));
        return false;
      }
      out = flag ? 1.0 : 0.0;
      break;
    }
    case Transform::length:
      out = static_cast<double>(utf8_length(value));
      break;
    case Transform::digit_share:
      out = digit_share(value);
      break;
    case Transform::age_days:
      if (!timestamp_or_why(value, t, why)) return false;
      out = (reference_time - t) / kSecondsPerDay;
      break;
    case Transform::hour_sin:
    case Transform::hour_cos: {
      if (!timestamp_or_why(value, t, why)) return false;
      const double angle = kTwoPi * utc_parts(t).seconds_of_day / kSecondsPerDay;
      out = transform == Transform::hour_sin ? std::sin(angle) : std::cos(angle);
      break;
    }
    case Transform::weekday_sin:
    case Transform::weekday_cos: {
      if (!timestamp_or_why(value, t, why)) return false;
      const double angle = kTwoPi * utc_parts(t).weekday / 7.0;
      out = transform == Transform::weekday_sin ? std::sin(angle) : std::cos(angle);
      break;
    }
    case Transform::year: {
      if (!timestamp_or_why(value, t, why)) return false;
      const UtcParts parts = utc_parts(t);
      out = parts.year +
            (parts.day_of_year + parts.seconds_of_day / kSecondsPerDay) / parts.days_in_year;
      break;
    }
  }
  if (!std::isfinite(out)) {
    why = fmt::format("{} gives a value that is not finite", quote_for_message(value));
    return false;
  }
  return true;
}

}  // namespace unfriend
