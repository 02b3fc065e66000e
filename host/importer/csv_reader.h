// A streaming RFC 4180 CSV reader: one record in memory at a time, errors that name file:line.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace unfriend {

/// One record. fields[i] holds the unquoted text of column i; missing[i] is 1 when the field is
/// empty (quoted or not) or the bare, unquoted literal NULL, which database exports write for SQL
/// NULL. A quoted "NULL" is the four-letter string.
struct CsvRecord {
  std::vector<std::string> fields;
  std::vector<uint8_t> missing;
  int64_t line = 0;  // 1-based line where the record starts (the header is line 1)

  bool is_missing(size_t column) const { return missing[column] != 0; }
  std::string_view field(size_t column) const { return fields[column]; }
};

/// Reads a CSV file with a header row. RFC 4180: fields separated by commas, optionally enclosed
/// in double quotes; inside quotes commas, line breaks and doubled quotes ("") are literal text.
/// LF and CRLF line endings are both accepted. Lenient where real exports are sloppy and the
/// meaning is still clear: a UTF-8 byte-order mark before the header is dropped, blank lines are
/// skipped, and a quote inside an unquoted field is kept as a literal character.
/// Errors are InputError "FILE:LINE: fault": a record whose field count differs from the
/// header's, a quoted field still open at the end of the file, text after a closing quote, and a
/// record longer than `max_record_bytes` (which bounds memory when a quote is never closed).
class CsvReader {
 public:
  static constexpr size_t kDefaultMaxRecordBytes = size_t{16} << 20;

  /// Opens the file and reads the header. `display_name` is how errors name the file (default:
  /// the path).
  explicit CsvReader(const std::string& path, std::string display_name = "",
                     size_t max_record_bytes = kDefaultMaxRecordBytes);

  const std::vector<std::string>& header() const { return header_; }
  const std::string& name() const { return name_; }

  /// Index of the header column called `column`, or -1 when there is none. A name that occurs
  /// twice in the header is an InputError, since it cannot say which column is meant.
  int find_column(const std::string& column) const;

  /// Reads the next record into `record` (reusing its storage). False at the end of the file.
  bool next(CsvRecord& record);

  /// Records returned so far (the header not counted).
  int64_t records() const { return records_; }

 private:
  // Reads the next physical line without its line ending; false at the end of the file.
  bool read_line(std::string& line, bool& had_crlf);
  // Parses one record into fields/missing; returns false at the end of the file.
  bool read_record(std::vector<std::string>& fields, std::vector<uint8_t>& missing,
                   int64_t& start_line);

  std::string name_;
  std::ifstream in_;
  size_t max_record_bytes_;
  std::vector<std::string> header_;
  std::string line_;
  int64_t line_number_ = 0;  // lines consumed so far
  int64_t records_ = 0;
};

}  // namespace unfriend
