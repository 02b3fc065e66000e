// `unfriend import`: CSV reader, timestamps, transforms, recipe validation, and whole imports
// read back from HDF5 (including the real cresci-2017 data when it is present).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "host/core/error.h"
#include "host/importer/csv_reader.h"
#include "host/importer/import_table.h"
#include "host/importer/importer.h"
#include "host/importer/recipe.h"
#include "host/importer/timestamp.h"
#include "host/importer/transforms.h"
#include "host/io/h5_reader.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

constexpr double kPi = 3.14159265358979323846;
// 2017-01-01T00:00:00Z
constexpr double kRef2017 = 1483228800.0;

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out << text;
  return path;
}

std::vector<CsvRecord> read_all(const std::string& path, size_t max_bytes = 1 << 20) {
  CsvReader reader(path, "", max_bytes);
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (reader.next(record)) records.push_back(record);
  return records;
}

// The message of the InputError `body` throws; fails the test when it throws nothing.
template <typename Body>
std::string input_error_of(Body&& body) {
  try {
    body();
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    return message;
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

#define EXPECT_CONTAINS(text, part)                          \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "'" << (text) << "' lacks '" << (part) << "'"

// ---------------------------------------------------------------------------------------------
// CSV reader

TEST(CsvReader, QuotesEmbeddedCommasAndDoubledQuotes) {
  const std::string dir = test::scratch_dir();
  const std::string path = write_file(dir, "q.csv",
                                      "name,quote,n\n"
                                      "\"Smith, John\",\"he said \"\"hi\"\"\",3\n"
                                      "plain,\"\"\"\"\"\",\"4\"\n");
  const auto records = read_all(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"Smith, John", "he said \"hi\"", "3"}));
  EXPECT_EQ(records[0].line, 2);
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"plain", "\"\"", "4"}));
  EXPECT_EQ(records[1].line, 3);
  for (const auto& r : records) {
    for (size_t i = 0; i < r.fields.size(); ++i) EXPECT_FALSE(r.is_missing(i));
  }
}

TEST(CsvReader, EmptyAndBareNullAreMissingButQuotedNullIsText) {
  const std::string dir = test::scratch_dir();
  const std::string path = write_file(dir, "m.csv", "a,b,c,d,e\n,NULL,\"NULL\",\"\",x\n");
  const auto records = read_all(path);
  ASSERT_EQ(records.size(), 1u);
  const CsvRecord& r = records[0];
  EXPECT_TRUE(r.is_missing(0));
  EXPECT_TRUE(r.is_missing(1));
  EXPECT_FALSE(r.is_missing(2));
  EXPECT_EQ(r.field(2), "NULL");
  EXPECT_TRUE(r.is_missing(3));
  EXPECT_FALSE(r.is_missing(4));
}

TEST(CsvReader, CrlfLineEndingsAndTrailingEmptyField) {
  const std::string dir = test::scratch_dir();
  const std::string path = write_file(dir, "crlf.csv", "a,b\r\n1,2\r\n\"x\",\r\n3,\"y\"");
  CsvReader reader(path);
  EXPECT_EQ(reader.header(), (std::vector<std::string>{"a", "b"}));
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (reader.next(record)) records.push_back(record);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"x", ""}));
  EXPECT_TRUE(records[1].is_missing(1));
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{"3", "y"}));  // no final line break
  EXPECT_EQ(reader.records(), 3);
}

TEST(CsvReader, QuotedLineBreaksBlankLinesAndByteOrderMark) {
  const std::string dir = test::scratch_dir();
  const std::string path = write_file(dir, "nl.csv",
                                      "\xEF\xBB\xBFid,text\n"
                                      "1,\"first line\nsecond, line\"\n"
                                      "\n"
                                      "2,\"crlf\r\ninside\"\r\n"
                                      "3,end\n");
  CsvReader reader(path);
  EXPECT_EQ(reader.find_column("id"), 0);  // the byte-order mark is not part of the name
  EXPECT_EQ(reader.find_column("text"), 1);
  EXPECT_EQ(reader.find_column("absent"), -1);
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (reader.next(record)) records.push_back(record);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].field(1), "first line\nsecond, line");
  EXPECT_EQ(records[0].line, 2);
  EXPECT_EQ(records[1].field(1), "crlf\r\ninside");
  EXPECT_EQ(records[1].line, 5);  // line 4 is blank
  EXPECT_EQ(records[2].line, 7);
}

TEST(CsvReader, UnterminatedQuoteNamesFileAndLine) {
  const std::string dir = test::scratch_dir();
  const std::string path = write_file(dir, "open.csv", "a,b\n1,2\n3,\"never closed\n4,5\n6,7\n");
  const std::string message = input_error_of([&] { read_all(path); });
  EXPECT_CONTAINS(message, "open.csv:3:");
  EXPECT_CONTAINS(message, "unterminated");
}

TEST(CsvReader, UnclosedQuoteIsBoundedByTheRecordLimit) {
  const std::string dir = test::scratch_dir();
  std::string text = "a,b\n1,\"x\n";
  for (int i = 0; i < 500; ++i) text += "filler line that never closes the quote\n";
  const std::string path = write_file(dir, "huge.csv", text);
  const std::string message = input_error_of([&] { read_all(path, 1000); });
  EXPECT_CONTAINS(message, "huge.csv:2:");
  EXPECT_CONTAINS(message, "longer than 1000 bytes");
}

TEST(CsvReader, WrongFieldCountNamesFileAndLine) {
  const std::string dir = test::scratch_dir();
  const std::string few = write_file(dir, "few.csv", "a,b,c\n1,2,3\n4,5\n");
  std::string message = input_error_of([&] { read_all(few); });
  EXPECT_CONTAINS(message, "few.csv:3:");
  EXPECT_CONTAINS(message, "2 fields, expected 3");
  // A comma inside quotes does not count; one outside does.
  const std::string many = write_file(dir, "many.csv", "a,b\n\"1,2\",3\n1,2,3\n");
  message = input_error_of([&] { read_all(many); });
  EXPECT_CONTAINS(message, "many.csv:3:");
  EXPECT_CONTAINS(message, "3 fields, expected 2");
}

TEST(CsvReader, TextAfterClosingQuoteIsAnError) {
  const std::string dir = test::scratch_dir();
  const std::string path = write_file(dir, "after.csv", "a,b\n\"x\"y,2\n");
  const std::string message = input_error_of([&] { read_all(path); });
  EXPECT_CONTAINS(message, "after.csv:2:");
  EXPECT_CONTAINS(message, "after the closing quote");
}

TEST(CsvReader, EmptyFileMissingFileAndDuplicateHeader) {
  const std::string dir = test::scratch_dir();
  const std::string empty = write_file(dir, "empty.csv", "");
  EXPECT_CONTAINS(input_error_of([&] { CsvReader r(empty); }), "empty.csv: empty file");
  EXPECT_CONTAINS(input_error_of([&] { CsvReader r(dir + "/nope.csv"); }), "nope.csv: cannot open");
  EXPECT_CONTAINS(input_error_of([&] { CsvReader r(dir); }), "is a folder");
  const std::string header_only = write_file(dir, "header.csv", "a,b\n");
  EXPECT_TRUE(read_all(header_only).empty());
  const std::string dup = write_file(dir, "dup.csv", "a,b,a\n1,2,3\n");
  CsvReader reader(dup);
  EXPECT_EQ(reader.find_column("b"), 1);
  EXPECT_CONTAINS(input_error_of([&] { reader.find_column("a"); }), "appears twice");
}

// Random fields with every awkward character, written the RFC 4180 way, must read back exactly.
TEST(CsvReader, RandomRoundTrip) {
  const std::string dir = test::scratch_dir();
  std::mt19937_64 rng(20170101);
  const std::string alphabet = "ab,\"\n\r 1é";
  const int rows = 1003;
  const int cols = 7;
  std::vector<std::vector<std::string>> expected(rows, std::vector<std::string>(cols));
  std::string text = "c0,c1,c2,c3,c4,c5,c6\n";
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      std::string value;
      const int length = static_cast<int>(rng() % 9) + 1;  // never empty: empty means missing
      for (int i = 0; i < length; ++i) value += alphabet[rng() % alphabet.size()];
      if (value == "NULL") value = "x";
      expected[r][c] = value;
      const bool quote = value.find_first_of(",\"\r\n") != std::string::npos || rng() % 3 == 0;
      std::string cell = value;
      if (quote) {
        cell = "\"";
        for (char ch : value) cell += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        cell += "\"";
      }
      text += cell;
      text += c + 1 < cols ? "," : (r % 2 ? "\r\n" : "\n");
    }
  }
  const std::string path = write_file(dir, "random.csv", text);
  const auto records = read_all(path);
  ASSERT_EQ(records.size(), static_cast<size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    ASSERT_EQ(records[r].fields, expected[r]) << "record " << r;
  }
}

// ---------------------------------------------------------------------------------------------
// Timestamps

TEST(Timestamp, TwitterFormatWithOffsets) {
  // 2013-06-11T11:20:35Z
  EXPECT_EQ(parse_timestamp("Tue Jun 11 11:20:35 +0000 2013"), 1370949635.0);
  // The same instant written as local time two hours east of UTC.
  EXPECT_EQ(parse_timestamp("Tue Jun 11 13:20:35 +0200 2013"), 1370949635.0);
  // And five and a half hours west: 05:50:35 local is 11:20:35 UTC.
  EXPECT_EQ(parse_timestamp("Tue Jun 11 05:50:35 -0530 2013"), 1370949635.0);
  EXPECT_FALSE(parse_timestamp("Tue Jum 11 11:20:35 +0000 2013"));
  EXPECT_FALSE(parse_timestamp("Tue Jun 11 11:20:35 2013"));
  EXPECT_FALSE(parse_timestamp("Tue Jun 31 11:20:35 +0000 2013"));  // June has 30 days
}

TEST(Timestamp, IsoAndRfc3339) {
  EXPECT_EQ(parse_timestamp("2013-06-11 11:20:35"), 1370949635.0);  // no offset: UTC
  EXPECT_EQ(parse_timestamp("2013-06-11T11:20:35Z"), 1370949635.0);
  EXPECT_EQ(parse_timestamp("2013-06-11T13:20:35+02:00"), 1370949635.0);
  EXPECT_EQ(parse_timestamp("2013-06-11 06:20:35-0500"), 1370949635.0);
  EXPECT_EQ(parse_timestamp("2013-06-11T11:20:35.25Z"), 1370949635.25);
  EXPECT_EQ(parse_timestamp("  2017-01-01T00:00:00Z "), kRef2017);
  EXPECT_EQ(parse_timestamp("2017-01-01"), kRef2017);
  EXPECT_EQ(parse_timestamp("2012-02-29 00:00:00"), 1330473600.0);  // leap day
  EXPECT_FALSE(parse_timestamp("2013-02-29 00:00:00"));             // not a leap year
  EXPECT_FALSE(parse_timestamp("2013-13-01 00:00:00"));
  EXPECT_FALSE(parse_timestamp("2013-06-11T24:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2013-06-11T11:20:35+25:00"));
  EXPECT_FALSE(parse_timestamp("2013-06-11T11:20:35Zjunk"));
  EXPECT_FALSE(parse_timestamp("13-06-11"));
  EXPECT_FALSE(parse_timestamp(""));
}

// ---------------------------------------------------------------------------------------------
// Transforms

double apply_ok(Transform t, const std::string& value, const std::string& second = "",
                double ref = kRef2017) {
  double out = 0;
  std::string why;
  EXPECT_TRUE(apply_transform(t, value, second, ref, out, why)) << value << ": " << why;
  return out;
}

std::string apply_fails(Transform t, const std::string& value, const std::string& second = "") {
  double out = 0;
  std::string why;
  EXPECT_FALSE(apply_transform(t, value, second, kRef2017, out, why)) << value;
  return why;
}

TEST(Transforms, NamesRoundTrip) {
  for (const std::string& name : transform_names()) {
    Transform t;
    ASSERT_TRUE(transform_from_string(name, t)) << name;
    EXPECT_EQ(to_string(t), name);
  }
  Transform t;
  EXPECT_FALSE(transform_from_string("log", t));
  EXPECT_TRUE(transform_from_string("bool", t));
  EXPECT_EQ(t, Transform::boolean);
}

TEST(Transforms, NumbersLogsAndRatios) {
  EXPECT_DOUBLE_EQ(apply_ok(Transform::number, "3.5"), 3.5);
  EXPECT_DOUBLE_EQ(apply_ok(Transform::number, " -2 "), -2.0);
  EXPECT_DOUBLE_EQ(apply_ok(Transform::number, "+1e3"), 1000.0);
  EXPECT_CONTAINS(apply_fails(Transform::number, "abc"), "'abc' is not a number");
  apply_fails(Transform::number, "nan");
  apply_fails(Transform::number, "inf");
  apply_fails(Transform::number, "12abc");
  EXPECT_DOUBLE_EQ(apply_ok(Transform::log1p, "99"), std::log(100.0));
  EXPECT_DOUBLE_EQ(apply_ok(Transform::log1p, "0"), 0.0);
  EXPECT_DOUBLE_EQ(apply_ok(Transform::log1p, "-5"), 0.0);  // negatives clamp to 0
  // log1p(99) - log1p(9) = log(100/10)
  EXPECT_NEAR(apply_ok(Transform::ratio, "99", "9"), std::log(10.0), 1e-12);
  EXPECT_NEAR(apply_ok(Transform::ratio, "0", "999"), -std::log(1000.0), 1e-12);
  EXPECT_CONTAINS(apply_fails(Transform::ratio, "5", "x"), "'x' is not a number");
}

TEST(Transforms, PerDayUsesAgeAtReferenceTimeWithOneDayFloor) {
  // Created 10 days before 2017-01-01: 100 statuses -> 10 a day.
  EXPECT_NEAR(apply_ok(Transform::per_day, "100", "2016-12-22T00:00:00Z"), std::log1p(10.0), 1e-12);
  // Created an hour before: the age counts as one day.
  EXPECT_NEAR(apply_ok(Transform::per_day, "100", "Sat Dec 31 23:00:00 +0000 2016"),
              std::log1p(100.0), 1e-12);
  EXPECT_CONTAINS(apply_fails(Transform::per_day, "100", "yesterday"), "not a timestamp");
}

TEST(Transforms, BooleansLengthsAndDigitShare) {
  for (const char* yes : {"1", "true", "True", "yes", "YES", " t "}) {
    EXPECT_EQ(apply_ok(Transform::boolean, yes), 1.0) << yes;
  }
  for (const char* no : {"0", "false", "False", "no"}) {
    EXPECT_EQ(apply_ok(Transform::boolean, no), 0.0) << no;
  }
  EXPECT_CONTAINS(apply_fails(Transform::boolean, "maybe"), "not a boolean");
  EXPECT_EQ(apply_ok(Transform::length, "hello"), 5.0);
  EXPECT_EQ(apply_ok(Transform::length, "h\xC3\xA9llo"), 5.0);              // héllo
  EXPECT_EQ(apply_ok(Transform::length, "\xE6\x97\xA5\xE6\x9C\xAC"), 2.0);  // 日本
  EXPECT_EQ(apply_ok(Transform::length, "\xF0\x9F\x98\x80!"), 2.0);         // emoji + "!"
  EXPECT_EQ(utf8_length(""), 0);
  EXPECT_DOUBLE_EQ(apply_ok(Transform::digit_share, "ab12"), 0.5);
  EXPECT_DOUBLE_EQ(apply_ok(Transform::digit_share, "user1234"), 0.5);
  EXPECT_DOUBLE_EQ(apply_ok(Transform::digit_share,
                            "\xC3\xA9"
                            "1"),
                   0.5);  // é1
  EXPECT_DOUBLE_EQ(digit_share(""), 0.0);
}

TEST(Transforms, CalendarFeaturesInUtc) {
  // Half a day before the reference.
  EXPECT_DOUBLE_EQ(apply_ok(Transform::age_days, "Sat Dec 31 12:00:00 +0000 2016"), 0.5);
  // 2013-06-11T11:20:35Z is 1299 days and 12:39:25 before 2017-01-01.
  EXPECT_NEAR(apply_ok(Transform::age_days, "Tue Jun 11 11:20:35 +0000 2013"),
              (kRef2017 - 1370949635.0) / 86400.0, 1e-9);
  // 08:00 at +02:00 is 06:00 UTC: a quarter of the day.
  EXPECT_NEAR(apply_ok(Transform::hour_sin, "2016-12-31T08:00:00+02:00"), 1.0, 1e-12);
  EXPECT_NEAR(apply_ok(Transform::hour_cos, "2016-12-31T08:00:00+02:00"), 0.0, 1e-12);
  // 18:00 UTC: three quarters.
  EXPECT_NEAR(apply_ok(Transform::hour_sin, "Sat Dec 31 18:00:00 +0000 2016"), -1.0, 1e-12);
  EXPECT_NEAR(apply_ok(Transform::hour_cos, "2016-12-31 00:00:00"), 1.0, 1e-12);
  // 2017-01-02 is a Monday (weekday 0); 2017-01-04 a Wednesday (2).
  EXPECT_NEAR(apply_ok(Transform::weekday_sin, "2017-01-02 12:00:00"), 0.0, 1e-12);
  EXPECT_NEAR(apply_ok(Transform::weekday_cos, "2017-01-02 12:00:00"), 1.0, 1e-12);
  EXPECT_NEAR(apply_ok(Transform::weekday_sin, "Wed Jan 04 10:00:00 +0000 2017"),
              std::sin(2 * kPi * 2 / 7), 1e-12);
  // Monday 01:00 at +02:00 is still Sunday (weekday 6) in UTC.
  EXPECT_NEAR(apply_ok(Transform::weekday_sin, "Mon Jan 02 01:00:00 +0200 2017"),
              std::sin(2 * kPi * 6 / 7), 1e-12);
  EXPECT_NEAR(apply_ok(Transform::weekday_cos, "Mon Jan 02 01:00:00 +0200 2017"),
              std::cos(2 * kPi * 6 / 7), 1e-12);
  // 2017-07-02 noon: day 182 of 365 (0-based), plus half a day.
  EXPECT_NEAR(apply_ok(Transform::year, "2017-07-02T12:00:00Z"), 2017 + 182.5 / 365, 1e-9);
  EXPECT_NEAR(apply_ok(Transform::year, "2016-12-31T12:00:00Z"), 2016 + 365.5 / 366, 1e-9);
  EXPECT_DOUBLE_EQ(apply_ok(Transform::year, "2017-01-01"), 2017.0);
  EXPECT_CONTAINS(apply_fails(Transform::year, "2017-02-30"), "not a timestamp");
}

// ---------------------------------------------------------------------------------------------
// Recipes

const char* kGoodRecipe = R"(
description = "test"
id_column = "id"
reference_time = "2017-01-01T00:00:00Z"

[[files]]
path = "a.csv"
truth = 4

[[files]]
path = "/abs/b.csv"

[[features]]
name = "posts"
column = "posts"
transform = "log1p"
missing = "error"

[[features]]
name = "reach"
column = "followers"
transform = "ratio"
denominator = "friends"
missing = 0.5

[[features]]
name = "rate"
column = "posts"
transform = "per_day"
date_column = "created"
missing = -1
)";

TEST(Recipe, ParsesAValidRecipe) {
  const Recipe recipe = parse_recipe(kGoodRecipe, "good.toml");
  EXPECT_EQ(recipe.source, "good.toml");
  EXPECT_EQ(recipe.id_column, std::optional<std::string>("id"));
  EXPECT_FALSE(recipe.truth_column);
  ASSERT_TRUE(recipe.reference_time);
  EXPECT_EQ(*recipe.reference_time, kRef2017);
  ASSERT_EQ(recipe.files.size(), 2u);
  EXPECT_EQ(recipe.files[0].truth, std::optional<int64_t>(4));
  EXPECT_FALSE(recipe.files[1].truth);
  ASSERT_EQ(recipe.features.size(), 3u);
  EXPECT_EQ(recipe.features[0].transform, Transform::log1p);
  EXPECT_TRUE(recipe.features[0].missing.is_error);
  EXPECT_EQ(recipe.features[1].second_column, "friends");
  EXPECT_EQ(recipe.features[1].missing.value, 0.5);
  EXPECT_FALSE(recipe.features[1].missing.is_error);
  EXPECT_EQ(recipe.features[2].transform, Transform::per_day);
  EXPECT_EQ(recipe.features[2].second_column, "created");
  EXPECT_EQ(recipe.features[2].missing.value, -1.0);

  // A native TOML date-time works as well as the string.
  const Recipe native = parse_recipe(
      "reference_time = 2017-01-01T01:00:00+01:00\n"
      "[[features]]\nname = \"a\"\ncolumn = \"c\"\ntransform = \"age_days\"\n",
      "native.toml");
  EXPECT_EQ(native.reference_time, std::optional<double>(kRef2017));

  // Paths: relative to data_dir, else the recipe folder; absolute ones stay.
  Recipe located = recipe;
  located.folder = "/recipes";
  auto sources = resolve_sources(located, "", {"extra.csv"});
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources[0].path, "/recipes/a.csv");
  EXPECT_EQ(sources[0].name, "a.csv");
  EXPECT_EQ(sources[1].path, "/abs/b.csv");
  EXPECT_EQ(sources[2].path, "extra.csv");
  EXPECT_FALSE(sources[2].truth);
  sources = resolve_sources(located, "/data", {});
  EXPECT_EQ(sources[0].path, "/data/a.csv");
}

std::string recipe_error(const std::string& text) {
  return input_error_of([&] { parse_recipe(text, "bad.toml"); });
}

const char* kOneFeature = "[[features]]\nname = \"f\"\ncolumn = \"c\"\ntransform = \"number\"\n";

TEST(Recipe, UnknownKeysAreNamed) {
  std::string message = recipe_error(std::string("colour = \"red\"\n") + kOneFeature);
  EXPECT_CONTAINS(message, "bad.toml:1:");
  EXPECT_CONTAINS(message, "unknown key 'colour'");
  message = recipe_error(std::string(kOneFeature) + "scale = 2\n");
  EXPECT_CONTAINS(message, "bad.toml:5:");
  EXPECT_CONTAINS(message, "features[0]");
  EXPECT_CONTAINS(message, "unknown key 'scale'");
  message = recipe_error(std::string("[[files]]\npath = \"a.csv\"\nlabel = 1\n") + kOneFeature);
  EXPECT_CONTAINS(message, "files[0]");
  EXPECT_CONTAINS(message, "unknown key 'label'");
}

TEST(Recipe, WrongTypesAndValues) {
  EXPECT_CONTAINS(recipe_error("[[features]]\nname = \"f\"\ncolumn = \"c\"\ntransform = \"log\"\n"),
                  "unknown transform 'log' (one of: number, log1p,");
  EXPECT_CONTAINS(recipe_error("[[features]]\nname = \"f\"\ncolumn = 3\ntransform = \"number\"\n"),
                  "'column' must be a string, not an integer");
  EXPECT_CONTAINS(recipe_error("[[features]]\nname = \"f\"\ntransform = \"number\"\n"),
                  "'column' is required");
  EXPECT_CONTAINS(recipe_error(std::string(kOneFeature) + "missing = \"maybe\"\n"),
                  "'missing' must be a number or \"error\"");
  EXPECT_CONTAINS(recipe_error(std::string(kOneFeature) + "missing = true\n"),
                  "'missing' must be a number or \"error\", not a boolean");
  EXPECT_CONTAINS(recipe_error(std::string(kOneFeature) + "denominator = \"d\"\n"),
                  "'denominator' only goes with transform 'ratio'");
  EXPECT_CONTAINS(
      recipe_error("[[features]]\nname = \"f\"\ncolumn = \"c\"\ntransform = \"ratio\"\n"),
      "'denominator' is required");
  EXPECT_CONTAINS(recipe_error("[[features]]\nname = \"f\"\ncolumn = \"c\"\n"
                               "transform = \"age_days\"\n"),
                  "needs a top-level reference_time");
  EXPECT_CONTAINS(recipe_error(std::string("reference_time = \"last year\"\n") + kOneFeature),
                  "reference_time 'last year' is not an RFC 3339 time");
  EXPECT_CONTAINS(recipe_error(std::string(kOneFeature) + kOneFeature),
                  "feature name 'f' is used twice");
  EXPECT_CONTAINS(recipe_error("id_column = \"id\"\n"), "no [[features]]");
  EXPECT_CONTAINS(recipe_error(std::string("features = 3\n")),
                  "'features' must be an array of tables");
  EXPECT_CONTAINS(
      recipe_error(std::string("[[files]]\npath = \"a\"\ntruth = \"x\"\n") + kOneFeature),
      "'truth' must be an integer");
  EXPECT_CONTAINS(recipe_error(std::string("[[files]]\npath = \"a\"\ntruth = -2\n") + kOneFeature),
                  "'truth' is -2");
  EXPECT_CONTAINS(recipe_error("id_column = \n"), "bad.toml:1:");  // TOML syntax
  EXPECT_CONTAINS(input_error_of([] { load_recipe("/nonexistent/recipe.toml"); }),
                  "/nonexistent/recipe.toml: cannot read recipe");
}

// ---------------------------------------------------------------------------------------------
// Whole imports

// Two small files whose expected feature values are computed by hand below.
struct SmallData {
  std::string dir;
  std::string recipe_path;
};

SmallData write_small_data(const std::string& recipe_extra = "", const std::string& b_ids = "") {
  SmallData data;
  data.dir = test::scratch_dir();
  write_file(data.dir, "a.csv",
             "id,posts,followers,friends,created,verified,handle\n"
             "10,99,9,99,\"Sat Dec 31 12:00:00 +0000 2016\",1,\"bob, the 1st\"\n"
             "11,0,,0,2016-12-22T02:00:00+02:00,,NULL\n");
  write_file(data.dir, "b.csv",
             "handle,id,created,posts,friends,followers,verified\r\n"
             "x9,\"" +
                 (b_ids.empty() ? std::string("12") : b_ids) +
                 "\",2016-12-31 00:00:00,9,1,0,true\r\n");
  data.recipe_path = write_file(data.dir, "recipe.toml", R"(
id_column = "id"
reference_time = "2017-01-01T00:00:00Z"
[[files]]
path = "a.csv"
truth = 7
[[files]]
path = "b.csv"
truth = -1
[[features]]
name = "log_posts"
column = "posts"
transform = "log1p"
[[features]]
name = "reach"
column = "followers"
transform = "ratio"
denominator = "friends"
missing = -3
[[features]]
name = "age"
column = "created"
transform = "age_days"
[[features]]
name = "verified"
column = "verified"
transform = "bool"
[[features]]
name = "handle_digits"
column = "handle"
transform = "digit_share"
[[features]]
name = "handle_length"
column = "handle"
transform = "length"
missing = 99
)" + recipe_extra);
  return data;
}

TEST(Import, SmallFilesEndToEnd) {
  const SmallData data = write_small_data();
  ImportOptions options;
  options.recipe_path = data.recipe_path;
  options.output = data.dir + "/out.h5";
  const ImportSummary summary = run_import(options);
  EXPECT_EQ(summary.rows, 3);
  EXPECT_EQ(summary.features, 6);
  EXPECT_TRUE(summary.has_truth);
  EXPECT_EQ(summary.source_rows, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(summary.planted_rows, (std::vector<int64_t>{2, 0}));

  H5Reader in(options.output);
  EXPECT_EQ(in.shape("/accounts/features"), (std::vector<int64_t>{3, 6}));
  const std::vector<float> f = in.read_float32("/accounts/features");
  const std::vector<double> expected = {
      // a.csv line 2: log1p(99); log1p(9)-log1p(99); half a day; verified; 1 digit of 12 chars
      std::log(100.0), std::log(10.0) - std::log(100.0), 0.5, 1, 1.0 / 12, 12,
      // a.csv line 3: followers missing -> -3; created 2016-12-22T00:00Z -> 10 days; verified
      // empty -> 0; handle NULL -> digit share 0 (default missing) and length 99 (its missing)
      0, -3, 10, 0, 0, 99,
      // b.csv: columns in another order; 2016-12-31 00:00 UTC -> 1 day
      std::log(10.0), 0 - std::log(2.0), 1, 1, 0.5, 2};
  ASSERT_EQ(f.size(), expected.size());
  for (size_t i = 0; i < f.size(); ++i) EXPECT_NEAR(f[i], expected[i], 1e-6) << "element " << i;
  EXPECT_EQ(in.read_int64("/accounts/id"), (std::vector<int64_t>{10, 11, 12}));
  EXPECT_EQ(in.read_strings("/features/names"),
            (std::vector<std::string>{"log_posts", "reach", "age", "verified", "handle_digits",
                                      "handle_length"}));
  EXPECT_EQ(in.read_int64("/truth/farm"), (std::vector<int64_t>{7, 7, -1}));
  EXPECT_EQ(in.read_int64("/truth/kind"), (std::vector<int64_t>{2, 2, 0}));
  EXPECT_EQ(in.read_string_attribute("/truth/kind", "codes"),
            "0=genuine,1=dense_genuine,2=click_farm,3=mass_report,4=near_duplicate");
  EXPECT_EQ(in.read_int64("/truth/dup_group"), (std::vector<int64_t>{-1, -1, -1}));
  EXPECT_EQ(in.read_strings("/truth/source"),
            (std::vector<std::string>{"a.csv", "a.csv", "b.csv"}));
  EXPECT_EQ(in.read_string_attribute("/", "input_files"), "[\"a.csv\",\"b.csv\"]");
  EXPECT_EQ(in.read_string_attribute("/", "rows_per_file"), "[2,1]");
  EXPECT_CONTAINS(in.read_string_attribute("/", "recipe"), "name = \"handle_length\"");

  // The output exists now: a second import without overwrite refuses, with overwrite replaces.
  EXPECT_CONTAINS(input_error_of([&] { run_import(options); }), "out.h5");
  options.overwrite = true;
  EXPECT_EQ(run_import(options).rows, 3);
}

TEST(Import, DataDirAndCommandLineFilesAndRowNumberIds) {
  const SmallData data = write_small_data();
  // The recipe sits elsewhere; --data-dir says where its files are. No id_column: row numbers.
  const std::string other = data.dir + "/recipes";
  std::filesystem::create_directories(other);
  std::ifstream original(data.recipe_path);
  std::string text((std::istreambuf_iterator<char>(original)), std::istreambuf_iterator<char>());
  text.replace(text.find("id_column = \"id\"\n"), 17, "");
  const std::string recipe_path = write_file(other, "r.toml", text);
  write_file(data.dir, "c.csv",
             "id,posts,followers,friends,created,verified,handle\n"
             "99,1,1,1,2016-12-31,0,h\n"
             "98,1,1,1,2016-12-31,0,h\n");
  const Recipe recipe = load_recipe(recipe_path);
  const auto sources = resolve_sources(recipe, data.dir, {data.dir + "/c.csv"});
  const ImportedTable table = import_table(recipe, sources);
  EXPECT_EQ(table.ids, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  // c.csv came from the command line without truth: genuine.
  EXPECT_EQ(table.truth_farm, (std::vector<int64_t>{7, 7, -1, -1, -1}));
  EXPECT_EQ(table.row_source, (std::vector<int32_t>{0, 0, 1, 2, 2}));
  // Without --data-dir the recipe's own folder is searched, where there is no a.csv.
  const auto lost = resolve_sources(recipe, "", {});
  EXPECT_CONTAINS(input_error_of([&] { import_table(recipe, lost); }), "recipes/a.csv");
}

TEST(Import, TruthColumn) {
  const std::string dir = test::scratch_dir();
  write_file(dir, "t.csv", "id,v,farm\n1,1,3\n2,2,\n3,3,-1\n4,4,NULL\n5,5,0\n");
  const std::string recipe_path =
      write_file(dir, "r.toml",
                 "id_column = \"id\"\ntruth_column = \"farm\"\n[[files]]\npath = \"t.csv\"\n"
                 "[[features]]\nname = \"v\"\ncolumn = \"v\"\ntransform = \"number\"\n");
  const Recipe recipe = load_recipe(recipe_path);
  const ImportedTable table = import_table(recipe, resolve_sources(recipe, "", {}));
  ASSERT_TRUE(table.has_truth);
  EXPECT_EQ(table.truth_farm, (std::vector<int64_t>{3, -1, -1, -1, 0}));
  EXPECT_EQ(table.features.values, (std::vector<float>{1, 2, 3, 4, 5}));

  write_file(dir, "bad.csv", "id,v,farm\n1,1,x\n");
  const std::vector<ImportSource> bad = {ImportSource{dir + "/bad.csv", "bad.csv", {}}};
  EXPECT_CONTAINS(input_error_of([&] { import_table(recipe, bad); }), "bad.csv:2: truth 'x'");

  // Without any truth, nothing is written under /truth.
  Recipe no_truth = recipe;
  no_truth.truth_column.reset();
  EXPECT_FALSE(import_table(no_truth, resolve_sources(no_truth, "", {})).has_truth);
  ImportTableOptions override_column;
  override_column.truth_column = "v";
  EXPECT_EQ(import_table(no_truth, resolve_sources(no_truth, "", {}), override_column).truth_farm,
            (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST(Import, DuplicateIdsAcrossFilesNameBothPlaces) {
  const SmallData data = write_small_data("", "11");
  ImportOptions options;
  options.recipe_path = data.recipe_path;
  options.output = data.dir + "/dup.h5";
  const std::string message = input_error_of([&] { run_import(options); });
  EXPECT_CONTAINS(message, "b.csv:2: id 11 was already seen at");
  EXPECT_CONTAINS(message, "a.csv:3");
  EXPECT_FALSE(test::file_exists(options.output));  // a failed import leaves no output
}

TEST(Import, MissingColumnsAndValuesNameFileLineAndColumn) {
  SmallData data = write_small_data(
      "[[features]]\nname = \"lang\"\ncolumn = \"lang\"\ntransform = \"length\"\n");
  Recipe recipe = load_recipe(data.recipe_path);
  std::string message =
      input_error_of([&] { import_table(recipe, resolve_sources(recipe, "", {})); });
  EXPECT_CONTAINS(message, "a.csv: column 'lang' (feature 'lang' in ");
  EXPECT_CONTAINS(message, "is not in the header");

  data = write_small_data(
      "[[features]]\nname = \"strict\"\ncolumn = \"followers\"\ntransform = \"number\"\n"
      "missing = \"error\"\n");
  recipe = load_recipe(data.recipe_path);
  message = input_error_of([&] { import_table(recipe, resolve_sources(recipe, "", {})); });
  EXPECT_CONTAINS(message, "a.csv:3: column 'followers' is missing");
  EXPECT_CONTAINS(message, "feature 'strict'");

  data =
      write_small_data("[[features]]\nname = \"n\"\ncolumn = \"handle\"\ntransform = \"number\"\n");
  recipe = load_recipe(data.recipe_path);
  message = input_error_of([&] { import_table(recipe, resolve_sources(recipe, "", {})); });
  EXPECT_CONTAINS(
      message, "a.csv:2: feature 'n' (number of column 'handle'): 'bob, the 1st' is not a number");

  // Values beyond float16 do not fit a float16 output.
  data = write_small_data(
      "[[features]]\nname = \"big\"\ncolumn = \"friends\"\ntransform = \"number\"\n");
  recipe = load_recipe(data.recipe_path);
  ImportTableOptions small_type;
  small_type.max_abs_value = 50;
  message =
      input_error_of([&] { import_table(recipe, resolve_sources(recipe, "", {}), small_type); });
  EXPECT_CONTAINS(message, "a.csv:2: feature 'big' is 99, beyond the largest value");
}

// Seeded random counts of an awkward size through log1p and ratio, against std::log1p.
TEST(Import, RandomCountsMatchReference) {
  const std::string dir = test::scratch_dir();
  std::mt19937_64 rng(42);
  const int rows = 517;
  std::string text = "a,b\n";
  std::vector<double> a(rows), b(rows);
  for (int i = 0; i < rows; ++i) {
    a[i] = static_cast<double>(rng() % 2000000);
    b[i] = static_cast<double>(rng() % 300);
    text += std::to_string(static_cast<int64_t>(a[i])) + "," +
            (i % 11 == 0 ? std::string("NULL") : std::to_string(static_cast<int64_t>(b[i]))) +
            (i % 3 ? "\n" : "\r\n");
  }
  write_file(dir, "r.csv", text);
  const Recipe recipe = parse_recipe(
      "[[features]]\nname = \"la\"\ncolumn = \"a\"\ntransform = \"log1p\"\n"
      "[[features]]\nname = \"ab\"\ncolumn = \"a\"\ntransform = \"ratio\"\ndenominator = \"b\"\n"
      "missing = 7\n",
      "inline.toml");
  const ImportedTable table = import_table(recipe, {ImportSource{dir + "/r.csv", "r.csv", {}}});
  ASSERT_EQ(table.features.rows, rows);
  ASSERT_EQ(table.features.cols, 2);
  EXPECT_FALSE(table.has_truth);
  for (int i = 0; i < rows; ++i) {
    EXPECT_NEAR(table.features.row(i)[0], std::log1p(a[i]), 1e-5);
    const double ratio = i % 11 == 0 ? 7.0 : std::log1p(a[i]) - std::log1p(b[i]);
    EXPECT_NEAR(table.features.row(i)[1], ratio, 1e-5) << i;
    EXPECT_EQ(table.ids[i], i);
  }
}

// ---------------------------------------------------------------------------------------------
// The real data set

TEST(Import, Cresci2017) {
  const std::string data_dir = test::shared_data("cresci-2017-social-spambots");
  if (data_dir.empty()) GTEST_SKIP() << "../shared/data/cresci-2017-social-spambots is absent";
  ImportOptions options;
  options.recipe_path = UNFRIEND_SOURCE_DIR "/configs/cresci-2017.toml";
  options.data_dir = data_dir;
  options.output = test::scratch_dir() + "/cresci.h5";
  const ImportSummary summary = run_import(options);
  EXPECT_EQ(summary.rows, 8386);
  EXPECT_EQ(summary.source_rows, (std::vector<int64_t>{3474, 991, 3457, 464}));

  H5Reader in(options.output);
  const std::vector<int64_t> shape = in.shape("/accounts/features");
  ASSERT_EQ(shape.size(), 2u);
  EXPECT_EQ(shape[0], 8386);
  const std::vector<std::string> names = in.read_strings("/features/names");
  EXPECT_EQ(static_cast<int64_t>(names.size()), shape[1]);
  for (const char* leak :
       {"crawled_at", "updated", "timestamp", "test_set_1", "test_set_2", "id"}) {
    EXPECT_EQ(std::count(names.begin(), names.end(), leak), 0) << leak;
  }

  std::map<int64_t, int64_t> group_rows;
  for (int64_t farm : in.read_int64("/truth/farm")) ++group_rows[farm];
  EXPECT_EQ(group_rows, (std::map<int64_t, int64_t>{{-1, 3474}, {1, 991}, {2, 3457}, {3, 464}}));
  const std::vector<int64_t> kind = in.read_int64("/truth/kind");
  EXPECT_EQ(std::count(kind.begin(), kind.end(), 0), 3474);
  EXPECT_EQ(std::count(kind.begin(), kind.end(), 2), 8386 - 3474);

  const std::vector<float> features = in.read_float32("/accounts/features");
  ASSERT_EQ(static_cast<int64_t>(features.size()), shape[0] * shape[1]);
  for (size_t i = 0; i < features.size(); ++i) {
    ASSERT_TRUE(std::isfinite(features[i]))
        << "row " << i / shape[1] << " feature " << names[i % shape[1]];
  }
  // Every feature varies across the data set: a constant column would be a recipe mistake.
  for (int64_t c = 0; c < shape[1]; ++c) {
    float lo = features[c], hi = features[c];
    for (int64_t r = 0; r < shape[0]; ++r) {
      lo = std::min(lo, features[r * shape[1] + c]);
      hi = std::max(hi, features[r * shape[1] + c]);
    }
    EXPECT_LT(lo, hi) << names[c];
  }

  const std::vector<int64_t> ids = in.read_int64("/accounts/id");
  ASSERT_EQ(ids.size(), 8386u);
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), ids.size());
  // The first genuine row: id 1502026416, created Tue Jun 11 11:20:35 +0000 2013.
  EXPECT_EQ(ids[0], 1502026416);
  const auto age = std::find(names.begin(), names.end(), "age_days") - names.begin();
  ASSERT_LT(age, shape[1]);
  EXPECT_NEAR(features[age], (kRef2017 - 1370949635.0) / 86400.0, 1e-3);
}

}  // namespace
}  // namespace unfriend
