#include "host/importer/timestamp.h"

#include <cmath>
#include <cstdint>
#include <ctime>

namespace unfriend {
namespace {

constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kWeekdays[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// A forward-only reader over the text; every accessor fails softly so the parsers stay flat.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ == text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // Exactly `digits` decimal digits.
  bool number(int digits, int& out) {
    if (text_.size() - pos_ < static_cast<size_t>(digits)) return false;
    int value = 0;
    for (int i = 0; i < digits; ++i) {
      char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos_ += digits;
    out = value;
    return true;
  }
  // One of `names` (3 letters each, matched case-insensitively); returns its index or -1.
  int name(const char* const* names, int count) {
    if (text_.size() - pos_ < 3) return -1;
    for (int i = 0; i < count; ++i) {
      bool same = true;
      for (int j = 0; j < 3 && same; ++j) {
        same = (text_[pos_ + j] | 0x20) == (names[i][j] | 0x20);
      }
      if (same) {
        pos_ += 3;
        return i;
      }
    }
    return -1;
  }
  // Digits after a decimal point, as a fraction of one (at most 9 digits count, as in
  // nanoseconds; the rest are read and dropped).
  bool fraction(double& out) {
    int64_t numerator = 0;
    int64_t denominator = 1;
    const size_t start = pos_;
    while (!done() && peek() >= '0' && peek() <= '9') {
      if (pos_ - start < 9) {
        numerator = numerator * 10 + (peek() - '0');
        denominator *= 10;
      }
      ++pos_;
    }
    out = static_cast<double>(numerator) / static_cast<double>(denominator);
    return pos_ > start;
  }
  void skip_blanks() {
    while (!done() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

struct Civil {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  double fraction = 0;
  int offset_seconds = 0;  // local = UTC + offset
};

// "+HHMM", "+HH:MM" or "+HH" (also "-"), stored in seconds east of UTC.
bool parse_offset(Cursor& in, int& offset_seconds) {
  int sign = 0;
  if (in.eat('+')) {
    sign = 1;
  } else if (in.eat('-')) {
    sign = -1;
  } else {
    return false;
  }
  int hours = 0, minutes = 0;
  if (!in.number(2, hours)) return false;
  if (in.eat(':')) {
    if (!in.number(2, minutes)) return false;
  } else if (!in.done() && in.peek() >= '0' && in.peek() <= '9') {
    if (!in.number(2, minutes)) return false;
  }
  if (hours > 23 || minutes > 59) return false;
  offset_seconds = sign * (hours * 3600 + minutes * 60);
  return true;
}

bool parse_clock(Cursor& in, Civil& t) {
  if (!in.number(2, t.hour) || !in.eat(':') || !in.number(2, t.minute)) return false;
  if (in.eat(':')) {
    if (!in.number(2, t.second)) return false;
    if (in.eat('.') || in.eat(',')) {
      if (!in.fraction(t.fraction)) return false;
    }
  }
  return true;
}

// "Tue Jun 11 11:20:35 +0000 2013"
bool parse_twitter(std::string_view text, Civil& t) {
  Cursor in(text);
  if (in.name(kWeekdays, 7) < 0 || !in.eat(' ')) return false;
  int month = in.name(kMonths, 12);
  if (month < 0 || !in.eat(' ')) return false;
  t.month = month + 1;
  if (!in.number(2, t.day) || !in.eat(' ')) return false;
  if (!parse_clock(in, t) || !in.eat(' ')) return false;
  if (!parse_offset(in, t.offset_seconds) || !in.eat(' ')) return false;
  if (!in.number(4, t.year)) return false;
  return in.done();
}

// "2013-06-11", "2013-06-11 11:20:35", "2013-06-11T11:20:35.5+02:00", "...Z"
bool parse_iso(std::string_view text, Civil& t) {
  Cursor in(text);
  if (!in.number(4, t.year) || !in.eat('-') || !in.number(2, t.month) || !in.eat('-') ||
      !in.number(2, t.day)) {
    return false;
  }
  if (in.done()) return true;
  if (!(in.eat('T') || in.eat('t') || in.eat(' '))) return false;
  if (!parse_clock(in, t)) return false;
  in.skip_blanks();
  if (in.done()) return true;
  if (in.eat('Z') || in.eat('z')) return in.done();
  if (in.peek() == 'U') {  // "UTC" as written by some SQL exports
    return in.eat('U') && in.eat('T') && in.eat('C') && in.done();
  }
  return parse_offset(in, t.offset_seconds) && in.done();
}

std::optional<double> to_unix(const Civil& t) {
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > days_in_month(t.year, t.month) ||
      t.hour > 23 || t.minute > 59 || t.second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = t.year - 1900;
  tm.tm_mon = t.month - 1;
  tm.tm_mday = t.day;
  tm.tm_hour = t.hour;
  tm.tm_min = t.minute;
  tm.tm_sec = t.second;  // 60 (a leap second) rolls into the next minute, as POSIX time does
  const time_t seconds = timegm(&tm);
  return static_cast<double>(seconds) - t.offset_seconds + t.fraction;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<double> parse_timestamp(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  Civil t;
  const bool starts_with_digit = text.front() >= '0' && text.front() <= '9';
  const bool parsed = starts_with_digit ? parse_iso(text, t) : parse_twitter(text, t);
  if (!parsed) return std::nullopt;
  return to_unix(t);
}

UtcParts utc_parts(double unix_seconds) {
  const double whole = std::floor(unix_seconds);
  const time_t seconds = static_cast<time_t>(whole);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  UtcParts parts;
  parts.year = tm.tm_year + 1900;
  parts.day_of_year = tm.tm_yday;
  parts.days_in_year = is_leap(parts.year) ? 366 : 365;
  parts.weekday = (tm.tm_wday + 6) % 7;  // tm counts from Sunday; we count from Monday
  parts.seconds_of_day =
      tm.tm_hour * 3600.0 + tm.tm_min * 60.0 + tm.tm_sec + (unix_seconds - whole);
  return parts;
}

}  // namespace unfriend
