// A feature recipe: which CSV files to read, and how each column becomes a feature. Loaded from
// TOML and validated strictly, so that a typo fails the import instead of silently changing it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/importer/transforms.h"

namespace unfriend {

/// What a feature takes when its field is missing (empty or NULL).
struct MissingPolicy {
  bool is_error = false;  // missing = "error": the import stops naming file:line and column
  double value = 0.0;     // otherwise this value is used
};

struct FeatureSpec {
  std::string name;    // /features/names entry; unique within the recipe
  std::string column;  // CSV column read
  Transform transform = Transform::number;
  std::string second_column;  // `denominator` (ratio) or `date_column` (per_day), else empty
  MissingPolicy missing;
};

struct RecipeFile {
  std::string path;              // as written in the recipe (relative or absolute)
  std::optional<int64_t> truth;  // truth-by-file: farm/campaign id, -1 = genuine
};

struct Recipe {
  std::string source;                       // recipe file path, for messages and provenance
  std::string text;                         // the TOML text as read
  std::string folder;                       // the recipe's folder (default base of file paths)
  std::string description;                  // free text, optional
  std::optional<std::string> id_column;     // absent: ids are row numbers across all files
  std::optional<std::string> truth_column;  // CSV column holding the truth id
  std::optional<double> reference_time;     // UTC seconds; needed by age_days and per_day
  std::vector<RecipeFile> files;
  std::vector<FeatureSpec> features;
};

/// Parses a recipe from TOML text. `source` names it in errors ("recipe.toml: ...").
///
/// Top-level keys: description (string), id_column (string), truth_column (string),
/// reference_time (RFC 3339 string such as "2017-01-01T00:00:00Z", or a TOML offset date-time),
/// [[files]] tables {path (string, required), truth (integer >= -1)}, and [[features]] tables
/// {name, column, transform (strings, required), denominator (ratio only, required there),
/// date_column (per_day only, required there), missing (number, or the string "error")}.
/// Every fault is an InputError "SOURCE: what": a TOML syntax error (with line:column), an
/// unknown key (named), a wrong type, an unknown transform (the valid ones listed), a duplicate
/// feature name, no features, or reference_time missing when a transform needs it.
Recipe parse_recipe(const std::string& text, const std::string& source);

/// Reads and parses a recipe file; also sets `folder`. InputError when it cannot be read.
Recipe load_recipe(const std::string& path);

}  // namespace unfriend
