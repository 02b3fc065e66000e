// Feature transforms: how one CSV field (or two) becomes one float of an account's vector.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace unfriend {

/// The transforms a recipe can name (recipe spelling in quotes).
enum class Transform {
  number,       // "number": the value as a float
  log1p,        // "log1p": log(1 + max(x, 0)); counts span orders of magnitude
  ratio,        // "ratio": log1p(a) - log1p(b) with b from `denominator`, a log ratio
  per_day,      // "per_day": log1p(max(x, 0) / max(age in days, 1)) with the age from
                //   `date_column` at reference_time: a rate (statuses per day of account life)
  boolean,      // "bool": 1/true/yes/y/t -> 1, 0/false/no/n/f -> 0 (case-insensitive)
  length,       // "length": number of UTF-8 characters
  digit_share,  // "digit_share": share of ASCII digits among the characters, 0 for ""
  age_days,     // "age_days": (reference_time - timestamp) in days
  hour_sin,     // "hour_sin" / "hour_cos": UTC time of day on the unit circle,
  hour_cos,     //   angle = 2*pi * seconds_of_day / 86400
  weekday_sin,  // "weekday_sin" / "weekday_cos": UTC weekday on the unit circle,
  weekday_cos,  //   angle = 2*pi * weekday / 7 with Monday = 0
  year,         // "year": fractional year, year + day_of_year_with_time / days_in_year
};

/// The recipe spelling of a transform, and its inverse (false for an unknown name).
std::string to_string(Transform transform);
bool transform_from_string(const std::string& name, Transform& out);
/// Every recipe spelling, for error messages.
std::vector<std::string> transform_names();

/// Transforms that read a second column (`denominator` for ratio, `date_column` for per_day).
bool needs_second_column(Transform transform);
/// Transforms that need the recipe's reference_time.
bool needs_reference_time(Transform transform);

/// Parses a whole field as a finite decimal number (blanks around it allowed).
bool parse_number(std::string_view text, double& out);
/// Parses a boolean spelling; see Transform::boolean.
bool parse_bool(std::string_view text, bool& out);
/// Number of UTF-8 characters (bytes that do not continue a multi-byte sequence).
int64_t utf8_length(std::string_view text);
/// ASCII digits / UTF-8 characters; 0 for the empty string.
double digit_share(std::string_view text);

/// Computes a transform of present (non-missing) fields. `second` is the denominator or date
/// field for the transforms that have one (ignored otherwise); `reference_time` is in UTC
/// seconds. Returns false, with `why` set to a short reason such as "'abc' is not a number",
/// when a field cannot be read as the transform requires or the result is not finite.
bool apply_transform(Transform transform, std::string_view value, std::string_view second,
                     double reference_time, double& out, std::string& why);

}  // namespace unfriend
