#include "host/report/html.h"

#include <fmt/format.h>

#include <cmath>

namespace unfriend::html {

namespace {

constexpr const char* kMissing = "\xE2\x80\x94";  // an em dash

// Plain CSS: system fonts only (a web font would be a fetch).
constexpr const char* kStyle = R"css(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 14px 28px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; color: #c5cbd6; font-size: 13px; word-break: break-all; }
nav { background: #fff; border-bottom: 1px solid #dde1e7; padding: 8px 28px; position: sticky;
      top: 0; z-index: 2; }
nav a { margin-right: 16px; color: #2456a6; text-decoration: none; }
main { padding: 8px 28px 40px; max-width: 1240px; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 12px 18px;
          margin: 16px 0; }
h2 { font-size: 17px; margin: 4px 0 10px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
p.note { color: #555e6e; font-size: 13px; margin: 6px 0; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border-bottom: 1px solid #e6e9ee; padding: 3px 10px; text-align: left;
         vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; background: #eef1f5; position: sticky;
                    top: 0; }
table.sortable th:hover { background: #dfe5ee; }
th[aria-sort="ascending"]::after { content: " \25B2"; font-size: 10px; }
th[aria-sort="descending"]::after { content: " \25BC"; font-size: 10px; }
table.kv th { background: none; font-weight: 600; width: 260px; }
.scroll { max-height: 560px; overflow: auto; border: 1px solid #e6e9ee; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 12px; }
.profile { border: 1px solid #e6e9ee; border-radius: 4px; padding: 6px 12px; }
.profile h3 { margin-top: 6px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px;
         background: #e6e9ee; margin-left: 6px; }
.badge.held { background: #ffe3b3; }
.badge.new { background: #cdeccd; }
.alarm { background: #ffe0e0; border-color: #e3a0a0; }
pre { background: #f3f4f7; padding: 8px; overflow: auto; font-size: 12px; }
svg { max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
a { color: #2456a6; }
)css";

// Sorting by a clicked header; "#selftest" in the address also sorts every table by every
// column both ways and records whether each came out in order (used by the browser test). The
// last statement adds #report-ready, so a page that has it ran its script without throwing.
constexpr const char* kScript = R"js(
(function () {
  'use strict';
  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) return { missing: true };
    var v = cell.getAttribute('data-sort');
    if (v === null) v = cell.textContent.trim();
    if (v === '' || v === '\u2014') return { missing: true };
    var n = Number(v);
    return isNaN(n) ? { text: v.toLowerCase() } : { num: n };
  }
  function compare(a, b) {
    if (a.num !== undefined && b.num !== undefined) return a.num - b.num;
    if (a.num !== undefined) return -1;
    if (b.num !== undefined) return 1;
    return a.text < b.text ? -1 : (a.text > b.text ? 1 : 0);
  }
  function sortTable(table, col, descending) {
    var body = table.tBodies[0];
    var keyed = Array.prototype.map.call(body.rows, function (row, i) {
      return { row: row, key: key(row, col), i: i };
    });
    keyed.sort(function (a, b) {
      if (a.key.missing || b.key.missing) {
        return ((a.key.missing ? 1 : 0) - (b.key.missing ? 1 : 0)) || (a.i - b.i);
      }
      var c = compare(a.key, b.key);
      return (descending ? -c : c) || (a.i - b.i);
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (k) { fragment.appendChild(k.row); });
    body.appendChild(fragment);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, c) {
      if (c === col) th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    });
  }
  function inOrder(table, col, descending) {
    var rows = table.tBodies[0].rows, seenMissing = false;
    for (var i = 1; i < rows.length; ++i) {
      var a = key(rows[i - 1], col), b = key(rows[i], col);
      if (a.missing) seenMissing = true;
      if (seenMissing && !b.missing) return false;
      if (a.missing || b.missing) continue;
      var c = compare(a, b);
      if (descending ? c < 0 : c > 0) return false;
    }
    return true;
  }
  var tables = document.querySelectorAll('table.sortable');
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.addEventListener('click', function () {
        sortTable(table, col, th.getAttribute('aria-sort') === 'ascending');
      });
    });
  });
  if (window.location.hash === '#selftest') {
    var failures = [], checks = 0;
    Array.prototype.forEach.call(tables, function (table) {
      var original = Array.prototype.slice.call(table.tBodies[0].rows);
      var columns = table.tHead.rows[0].cells.length;
      for (var col = 0; col < columns; ++col) {
        [false, true].forEach(function (descending) {
          sortTable(table, col, descending);
          ++checks;
          if (!inOrder(table, col, descending)) failures.push(table.id + ':' + col);
        });
      }
      original.forEach(function (row) { table.tBodies[0].appendChild(row); });
    });
    var result = document.createElement('div');
    result.id = 'report-selftest';
    result.hidden = true;
    result.setAttribute('data-tables', String(tables.length));
    result.setAttribute('data-checks', String(checks));
    result.setAttribute('data-result', failures.length ? 'failed ' + failures.join(' ') : 'ok');
    document.body.appendChild(result);
  }
  var ready = document.createElement('div');
  ready.id = 'report-ready';
  ready.hidden = true;
  document.body.appendChild(ready);
})();
)js";

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// Infinite values are recorded (a cluster of exact copies is infinitely tight): shown as such.
const char* non_finite(double value) {
  if (std::isnan(value)) return kMissing;
  return value > 0 ? "\xE2\x88\x9E" : "-\xE2\x88\x9E";
}

// The key the page's script sorts by: JavaScript reads "Infinity", not "inf".
std::string sort_key(double value) {
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", value);
}

}  // namespace

std::string number(double value, int significant) {
  if (!std::isfinite(value)) return non_finite(value);
  return fmt::format("{:.{}g}", value, significant);
}

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return non_finite(value);
  return fmt::format("{:.{}f}", value, decimals);
}

std::string count(int64_t value) {
  std::string digits = fmt::format("{}", value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string percent(int64_t part, int64_t whole) {
  if (whole <= 0) return kMissing;
  return fmt::format("{:.2f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

Cell text_cell(std::string_view text) { return {escape(text), {}, false}; }

Cell html_cell(std::string html, std::string sort) {
  return {std::move(html), std::move(sort), false};
}

Cell int_cell(int64_t value) { return {count(value), fmt::format("{}", value), true}; }

Cell id_cell(int64_t value) { return {fmt::format("{}", value), {}, true}; }

Cell number_cell(double value, int significant) {
  if (std::isnan(value)) return missing_cell();
  return {number(value, significant), sort_key(value), true};
}

Cell fixed_cell(double value, int decimals) {
  if (std::isnan(value)) return missing_cell();
  return {fixed(value, decimals), sort_key(value), true};
}

Cell link_cell(int64_t id, const std::string& anchor) {
  if (anchor.empty()) return id_cell(id);
  return {fmt::format("<a href=\"#{}\">{}</a>", escape(anchor), id), fmt::format("{}", id), true};
}

Cell missing_cell() { return {kMissing, "", true}; }

Table::Table(std::string id, std::vector<Column> columns)
    : id_(std::move(id)), columns_(std::move(columns)) {}

void Table::add_row(std::vector<Cell> cells) { rows_.push_back(std::move(cells)); }

std::string Table::render() const {
  std::string out = fmt::format(
      "<div class=\"scroll\"><table class=\"sortable\" id=\"{}\">\n<thead><tr>", escape(id_));
  for (const Column& c : columns_) {
    if (c.tooltip.empty()) {
      out += fmt::format("<th>{}</th>", escape(c.label));
    } else {
      out += fmt::format("<th title=\"{}\">{}</th>", escape(c.tooltip), escape(c.label));
    }
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows_) {
    out += "<tr>";
    for (const Cell& cell : row) {
      out += cell.numeric ? "<td class=\"n\"" : "<td";
      if (!cell.sort.empty() || cell.html == kMissing) {
        out += fmt::format(" data-sort=\"{}\"", escape(cell.sort));
      }
      out += '>';
      out += cell.html;
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  return out;
}

std::string key_value_table(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out = "<table class=\"kv\">\n";
  for (const auto& [key, value] : rows) {
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escape(key), value);
  }
  out += "</table>\n";
  return out;
}

std::string page(const std::string& title, const std::string& body) {
  std::string out;
  out.reserve(body.size() + 8192);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // Self-contained by construction and by policy: the browser refuses any fetch.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
      "base-uri 'none'; form-action 'none'\">\n";
  out +=
      fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n", escape(title), kStyle);
  out += body;
  out += fmt::format("<script>{}</script>\n</body>\n</html>\n", kScript);
  return out;
}

}  // namespace unfriend::html
