// CSV files through a recipe into an in-memory account table (features, ids, truth), the step
// between parsing and writing HDF5, kept apart so tests can check values without HDF5.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/core/matrix.h"
#include "host/importer/recipe.h"

namespace unfriend {

/// One CSV file to import.
struct ImportSource {
  std::string path;              // what is opened, and what errors name
  std::string name;              // as the user wrote it: /truth/source and the file attributes
  std::optional<int64_t> truth;  // truth-by-file, if any
};

/// The recipe's [[files]] (paths relative to `data_dir`, or to the recipe's folder when
/// data_dir is empty; absolute paths as they are) followed by `extra_csv` from the command line
/// (paths as given, no truth-by-file). InputError when the list ends up empty.
std::vector<ImportSource> resolve_sources(const Recipe& recipe, const std::string& data_dir,
                                          const std::vector<std::string>& extra_csv);

struct ImportTableOptions {
  /// Overrides the recipe's truth_column when not empty.
  std::string truth_column;
  /// Largest magnitude the output type can hold; larger values are an InputError.
  double max_abs_value = 3.4028234663852886e38;
};

/// The imported accounts, rows in file order.
struct ImportedTable {
  Matrix features;  // [rows x features]
  std::vector<std::string> feature_names;
  std::vector<int64_t> ids;  // id_column, or the row number across all files
  /// Truth is known when some file has truth-by-file or a truth column is set. Then every row
  /// has a farm id: the file's truth when it has one, else the truth column's value when a
  /// truth column is set (empty, NULL or -1: genuine), else -1.
  bool has_truth = false;
  std::vector<int64_t> truth_farm;  // -1 = genuine (filled only when has_truth)
  std::vector<int32_t> row_source;  // index into `sources` for each row
  std::vector<ImportSource> sources;
  std::vector<int64_t> source_rows;  // rows read from each source
};

/// Streams every source through the recipe. InputError "FILE:LINE: ..." for malformed CSV, a
/// value a transform cannot read, a missing value where the feature says missing = "error",
/// an empty or non-integer id, a duplicate id (naming both places), a bad truth value; and
/// "FILE: column 'X' ... is not in the header" for a named column the file lacks.
ImportedTable import_table(const Recipe& recipe, const std::vector<ImportSource>& sources,
                           const ImportTableOptions& options = {});

}  // namespace unfriend
