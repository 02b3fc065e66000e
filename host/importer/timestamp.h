// Timestamps as they appear in account exports, converted to UTC seconds since the Unix epoch.
#pragma once

#include <optional>
#include <string_view>

namespace unfriend {

/// Parses one timestamp and returns UTC seconds since 1970-01-01T00:00:00Z (fractional seconds
/// kept). Accepted forms, with surrounding blanks ignored:
///   Twitter API:  "Tue Jun 11 11:20:35 +0000 2013"   (weekday and month names in English)
///   ISO / SQL:    "2013-06-11 11:20:35"              (no offset: taken as UTC)
///   RFC 3339:     "2013-06-11T11:20:35Z", "2013-06-11T13:20:35+02:00", "...35.250-0530"
///   date only:    "2013-06-11"                       (midnight UTC)
/// An offset "+HHMM" / "+HH:MM" means local time = UTC + offset, so it is subtracted.
/// Returns nullopt for anything else, including impossible dates (Feb 30) and out-of-range fields.
std::optional<double> parse_timestamp(std::string_view text);

/// Parts of a UTC instant that the calendar transforms need.
struct UtcParts {
  int year = 1970;
  int day_of_year = 0;  // 0-based
  int days_in_year = 365;
  int weekday = 3;            // 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)
  double seconds_of_day = 0;  // [0, 86400)
};
UtcParts utc_parts(double unix_seconds);

}  // namespace unfriend
