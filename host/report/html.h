// Building blocks of the report page: escaping, number cells, sortable tables and the page
// shell (inline CSS and the small inline script that sorts tables). Nothing here loads anything
// from outside the file: the page carries a Content-Security-Policy that forbids it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace unfriend::html {

/// Text made safe inside elements and quoted attributes (& < > " ').
std::string escape(std::string_view text);

/// Numbers as shown: `significant` digits ("4.21", "1.2e+04"), "—" for NaN, "∞" for infinity.
std::string number(double value, int significant = 3);
/// Fixed decimals ("0.9731"), "—" for NaN, "∞" for infinity.
std::string fixed(double value, int decimals);
/// 1234567 -> "1,234,567".
std::string count(int64_t value);
/// "12.5%" of part in whole ("—" when whole is 0).
std::string percent(int64_t part, int64_t whole);

/// One table cell: its HTML (already escaped) and, when it differs from the text, the value
/// the table sorts by ("" sorts last).
struct Cell {
  std::string html;
  std::string sort;
  bool numeric = false;  // right-aligned
};
Cell text_cell(std::string_view text);
Cell html_cell(std::string html, std::string sort = {});
Cell int_cell(int64_t value);  // a count: "1,234"
Cell id_cell(int64_t value);   // an id: "1234"
Cell number_cell(double value, int significant = 3);
Cell fixed_cell(double value, int decimals);
/// An id linking to an anchor on the page ("#cluster-3"); plain text when anchor is empty.
Cell link_cell(int64_t id, const std::string& anchor);
/// An empty cell ("—") that sorts last.
Cell missing_cell();

struct Column {
  Column(std::string label_text, std::string tooltip_text = {})  // NOLINT: {"id"} reads well
      : label(std::move(label_text)), tooltip(std::move(tooltip_text)) {}
  Column(const char* label_text) : Column(std::string(label_text)) {}  // NOLINT
  std::string label;
  std::string tooltip;  // what the column means (title attribute); optional
};

/// A table that sorts by a column when its header is clicked (the page's script).
class Table {
 public:
  Table(std::string id, std::vector<Column> columns);
  void add_row(std::vector<Cell> cells);
  size_t rows() const { return rows_.size(); }
  std::string render() const;

 private:
  std::string id_;
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

/// A two-column table of label / value pairs (values are HTML, already escaped).
std::string key_value_table(const std::vector<std::pair<std::string, std::string>>& rows);

/// The whole document: head with charset, viewport, Content-Security-Policy (nothing may be
/// fetched), inline style; the body; then the inline script.
std::string page(const std::string& title, const std::string& body);

}  // namespace unfriend::html
