#include "host/importer/import_table.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <utility>

#include "host/core/error.h"
#include "host/importer/csv_reader.h"

namespace unfriend {
namespace {

namespace fs = std::filesystem;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool parse_int64(std::string_view text, int64_t& out) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

std::string shown(std::string_view text) {
  constexpr size_t kMax = 40;
  std::string cut(text.substr(0, kMax));
  for (char& c : cut) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text.size() > kMax ? cut + "..." : cut;
}

// Header positions of everything one file must provide, resolved once per file.
struct FileColumns {
  std::vector<int> value;   // per feature
  std::vector<int> second;  // per feature, -1 when the transform has no second column
  int id = -1;
  int truth = -1;  // -1 when this file's truth does not come from a column
};

int require_column(const CsvReader& csv, const std::string& column, const std::string& used_by,
                   const Recipe& recipe) {
  const int index = csv.find_column(column);
  if (index < 0) {
    throw InputError(fmt::format("{}: column '{}' ({} in {}) is not in the header", csv.name(),
                                 column, used_by, recipe.source));
  }
  return index;
}

FileColumns resolve_columns(const CsvReader& csv, const Recipe& recipe, const ImportSource& source,
                            const std::string& truth_column) {
  FileColumns columns;
  for (const FeatureSpec& spec : recipe.features) {
    const std::string used_by = fmt::format("feature '{}'", spec.name);
    columns.value.push_back(require_column(csv, spec.column, used_by, recipe));
    columns.second.push_back(
        spec.second_column.empty() ? -1 : require_column(csv, spec.second_column, used_by, recipe));
  }
  if (recipe.id_column) columns.id = require_column(csv, *recipe.id_column, "id_column", recipe);
  if (!source.truth && !truth_column.empty()) {
    columns.truth = require_column(csv, truth_column, "truth_column", recipe);
  }
  return columns;
}

}  // namespace

std::vector<ImportSource> resolve_sources(const Recipe& recipe, const std::string& data_dir,
                                          const std::vector<std::string>& extra_csv) {
  const fs::path base = data_dir.empty() ? fs::path(recipe.folder) : fs::path(data_dir);
  std::vector<ImportSource> sources;
  for (const RecipeFile& file : recipe.files) {
    const fs::path path(file.path);
    ImportSource source;
    source.path = path.is_absolute() || base.empty() ? path.string() : (base / path).string();
    source.name = file.path;
    source.truth = file.truth;
    sources.push_back(std::move(source));
  }
  for (const std::string& csv : extra_csv) sources.push_back(ImportSource{csv, csv, std::nullopt});
  if (sources.empty()) {
    throw InputError(fmt::format(
        "{}: no input files: the recipe has no [[files]] and no CSV was given on the command line",
        recipe.source));
  }
  return sources;
}

ImportedTable import_table(const Recipe& recipe, const std::vector<ImportSource>& sources,
                           const ImportTableOptions& options) {
  const std::string truth_column =
      !options.truth_column.empty() ? options.truth_column : recipe.truth_column.value_or("");
  ImportedTable table;
  table.sources = sources;
  table.has_truth = !truth_column.empty();
  for (const ImportSource& source : sources) table.has_truth |= source.truth.has_value();
  for (const FeatureSpec& spec : recipe.features) table.feature_names.push_back(spec.name);

  const size_t feature_count = recipe.features.size();
  const double reference_time = recipe.reference_time.value_or(0.0);
  std::vector<float> values;
  // Where each id was first seen, so that a duplicate names both places.
  std::unordered_map<int64_t, std::pair<int32_t, int64_t>> id_seen;
  CsvRecord record;
  std::string why;

  for (size_t s = 0; s < sources.size(); ++s) {
    const ImportSource& source = sources[s];
    CsvReader csv(source.path);
    const FileColumns columns = resolve_columns(csv, recipe, source, truth_column);
    int64_t rows = 0;
    while (csv.next(record)) {
      const std::string& file = csv.name();
      for (size_t f = 0; f < feature_count; ++f) {
        const FeatureSpec& spec = recipe.features[f];
        const int a = columns.value[f];
        const int b = columns.second[f];
        const bool is_missing = record.is_missing(a) || (b >= 0 && record.is_missing(b));
        double value = 0;
        if (is_missing) {
          if (spec.missing.is_error) {
            const std::string& column = record.is_missing(a) ? spec.column : spec.second_column;
            throw InputError(fmt::format(
                "{}:{}: column '{}' is missing (empty or NULL) and feature '{}' has missing = "
                "\"error\"",
                file, record.line, column, spec.name));
          }
          value = spec.missing.value;
        } else if (!apply_transform(spec.transform, record.field(a),
                                    b >= 0 ? record.field(b) : std::string_view(), reference_time,
                                    value, why)) {
          throw InputError(fmt::format("{}:{}: feature '{}' ({} of column '{}'): {}", file,
                                       record.line, spec.name, to_string(spec.transform),
                                       spec.column, why));
        }
        if (std::fabs(value) > options.max_abs_value) {
          throw InputError(fmt::format(
              "{}:{}: feature '{}' is {:g}, beyond the largest value the output type holds ({:g})",
              file, record.line, spec.name, value, options.max_abs_value));
        }
        values.push_back(static_cast<float>(value));
      }

      if (columns.id >= 0) {
        int64_t id = 0;
        if (record.is_missing(columns.id)) {
          throw InputError(
              fmt::format("{}:{}: id column '{}' is empty", file, record.line, *recipe.id_column));
        }
        if (!parse_int64(record.field(columns.id), id)) {
          throw InputError(fmt::format("{}:{}: id '{}' in column '{}' is not a 64-bit integer",
                                       file, record.line, shown(record.field(columns.id)),
                                       *recipe.id_column));
        }
        const auto [place, inserted] =
            id_seen.emplace(id, std::make_pair(static_cast<int32_t>(s), record.line));
        if (!inserted) {
          throw InputError(fmt::format(
              "{}:{}: id {} was already seen at {}:{} (ids must be unique)", file, record.line, id,
              sources[place->second.first].path, place->second.second));
        }
        table.ids.push_back(id);
      } else {
        table.ids.push_back(static_cast<int64_t>(table.ids.size()));
      }

      if (table.has_truth) {
        int64_t farm = -1;
        if (source.truth) {
          farm = *source.truth;
        } else if (columns.truth >= 0 && !record.is_missing(columns.truth)) {
          if (!parse_int64(record.field(columns.truth), farm) || farm < -1) {
            throw InputError(fmt::format(
                "{}:{}: truth '{}' in column '{}' is not -1 (genuine) or a farm id >= 0", file,
                record.line, shown(record.field(columns.truth)), truth_column));
          }
        }
        table.truth_farm.push_back(farm);
      }
      table.row_source.push_back(static_cast<int32_t>(s));
      ++rows;
    }
    table.source_rows.push_back(rows);
  }

  const int64_t total = static_cast<int64_t>(table.ids.size());
  if (total == 0) {
    throw InputError(
        fmt::format("{}: no account rows in {} input file(s)", recipe.source, sources.size()));
  }
  table.features.values = std::move(values);
  table.features.rows = total;
  table.features.cols = static_cast<int64_t>(feature_count);
  return table;
}

}  // namespace unfriend
