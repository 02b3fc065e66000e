#include "host/importer/csv_reader.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <streambuf>
#include <utility>

#include "host/core/error.h"

namespace unfriend {

CsvReader::CsvReader(const std::string& path, std::string display_name, size_t max_record_bytes)
    : name_(display_name.empty() ? path : std::move(display_name)),
      max_record_bytes_(max_record_bytes) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw InputError(fmt::format("{}: is a folder, not a CSV file", name_));
  }
  in_.open(path, std::ios::binary);
  if (!in_) {
    throw InputError(fmt::format("{}: cannot open CSV file ({})", name_, std::strerror(errno)));
  }
  std::vector<uint8_t> header_missing;
  int64_t header_line = 0;
  if (!read_record(header_, header_missing, header_line)) {
    throw InputError(fmt::format("{}: empty file, expected a header row", name_));
  }
}

int CsvReader::find_column(const std::string& column) const {
  int found = -1;
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] != column) continue;
    if (found >= 0) {
      throw InputError(
          fmt::format("{}: column '{}' appears twice in the header (columns {} and {})", name_,
                      column, found + 1, i + 1));
    }
    found = static_cast<int>(i);
  }
  return found;
}

bool CsvReader::next(CsvRecord& record) {
  if (!read_record(record.fields, record.missing, record.line)) return false;
  if (record.fields.size() != header_.size()) {
    throw InputError(fmt::format("{}:{}: {} fields, expected {} as in the header", name_,
                                 record.line, record.fields.size(), header_.size()));
  }
  ++records_;
  return true;
}

bool CsvReader::read_line(std::string& line, bool& had_crlf) {
  line.clear();
  had_crlf = false;
  std::streambuf* buffer = in_.rdbuf();
  constexpr int kEof = std::char_traits<char>::eof();
  int c = buffer->sbumpc();
  if (c == kEof) return false;
  // Read byte by byte from the stream buffer (it is buffered, so this is cheap) so that a line
  // never grows past the record limit, whatever the file holds.
  while (c != kEof && c != '\n') {
    line.push_back(static_cast<char>(c));
    if (line.size() > max_record_bytes_) {
      throw InputError(fmt::format("{}:{}: record longer than {} bytes (an unclosed quote?)", name_,
                                   line_number_ + 1, max_record_bytes_));
    }
    c = buffer->sbumpc();
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
    had_crlf = true;
  }
  if (line_number_ == 0 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  ++line_number_;
  return true;
}

bool CsvReader::read_record(std::vector<std::string>& fields, std::vector<uint8_t>& missing,
                            int64_t& start_line) {
  bool crlf = false;
  do {  // blank lines carry no record
    if (!read_line(line_, crlf)) return false;
  } while (line_.empty());
  start_line = line_number_;

  size_t count = 0;
  size_t pos = 0;
  size_t record_bytes = line_.size();
  for (;;) {
    if (fields.size() <= count) {
      fields.emplace_back();
      missing.push_back(0);
    }
    std::string& field = fields[count];
    field.clear();
    bool quoted = false;
    if (pos < line_.size() && line_[pos] == '"') {
      quoted = true;
      const int64_t opened_on = line_number_;
      ++pos;
      for (;;) {
        const size_t quote = line_.find('"', pos);
        if (quote == std::string::npos) {
          // The quoted field holds a line break: keep it and continue on the next line.
          field.append(line_, pos, std::string::npos);
          field.append(crlf ? "\r\n" : "\n");
          if (!read_line(line_, crlf)) {
            throw InputError(fmt::format(
                "{}:{}: unterminated quoted field (field {} opened with a quote and the file "
                "ended before it was closed)",
                name_, opened_on, count + 1));
          }
          record_bytes += line_.size() + 1;
          if (record_bytes > max_record_bytes_) {
            throw InputError(fmt::format(
                "{}:{}: record longer than {} bytes (field {} opened with a quote on line {} and "
                "never closed?)",
                name_, start_line, max_record_bytes_, count + 1, opened_on));
          }
          pos = 0;
          continue;
        }
        field.append(line_, pos, quote - pos);
        if (quote + 1 < line_.size() && line_[quote + 1] == '"') {  // "" is one literal quote
          field.push_back('"');
          pos = quote + 2;
          continue;
        }
        pos = quote + 1;
        break;
      }
      if (pos < line_.size() && line_[pos] != ',') {
        throw InputError(fmt::format("{}:{}: unexpected text after the closing quote of field {}",
                                     name_, line_number_, count + 1));
      }
    } else {
      const size_t comma = line_.find(',', pos);
      const size_t end = comma == std::string::npos ? line_.size() : comma;
      field.assign(line_, pos, end - pos);
      pos = end;
    }
    missing[count] = field.empty() || (!quoted && field == "NULL");
    ++count;
    if (pos >= line_.size()) break;
    ++pos;  // the comma; a comma at the very end leaves one more (empty) field
  }
  fields.resize(count);
  missing.resize(count);
  return true;
}

}  // namespace unfriend
