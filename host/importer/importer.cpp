#include "host/importer/importer.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace unfriend {

double max_abs_for(StoredFloat dtype) {
  switch (dtype) {
    case StoredFloat::float16:
      return 65504.0;
    case StoredFloat::float32:
      return 3.4028234663852886e38;
    case StoredFloat::float64:
      break;
  }
  // Values are computed and held as float32 before they are stored, whatever the output type.
  return 3.4028234663852886e38;
}

void write_import(const ImportedTable& table, const Recipe& recipe, H5Writer& writer,
                  StoredFloat dtype) {
  const int64_t rows = table.features.rows;
  const int64_t cols = table.features.cols;
  // Chunks of about 1 MiB of rows: large enough for gzip to work well, small enough that a
  // block reader decompresses little beyond what it asked for.
  const int64_t chunk_rows =
      std::clamp<int64_t>((int64_t{1} << 20) / (4 * std::max<int64_t>(cols, 1)), 1, rows);
  writer.write_matrix("/accounts/features", table.features.values.data(), rows, cols, dtype,
                      chunk_rows, 4);
  writer.write_int64("/accounts/id", table.ids);
  writer.write_strings("/features/names", table.feature_names);

  if (table.has_truth) {
    std::vector<int32_t> kind(table.truth_farm.size());
    for (size_t i = 0; i < kind.size(); ++i) {
      kind[i] = table.truth_farm[i] >= 0 ? kTruthKindClickFarm : kTruthKindGenuine;
    }
    std::vector<std::string> source(table.row_source.size());
    for (size_t i = 0; i < source.size(); ++i) source[i] = table.sources[table.row_source[i]].name;
    writer.write_int64("/truth/farm", table.truth_farm);
    writer.write_int32("/truth/kind", kind);
    writer.set_attribute("/truth/kind", "codes", std::string(kTruthKindCodes));
    // Imported data has no near-duplicate ground truth; -1 says "in no duplicate group".
    writer.write_int64("/truth/dup_group", std::vector<int64_t>(table.truth_farm.size(), -1));
    writer.write_strings("/truth/source", source);
  }

  nlohmann::json names = nlohmann::json::array();
  nlohmann::json counts = nlohmann::json::array();
  for (size_t s = 0; s < table.sources.size(); ++s) {
    names.push_back(table.sources[s].name);
    counts.push_back(table.source_rows[s]);
  }
  writer.set_attribute("/", "creator", std::string("unfriend import ") + UNFRIEND_VERSION);
  writer.set_attribute("/", "recipe", recipe.text);
  writer.set_attribute("/", "recipe_file", recipe.source);
  writer.set_attribute("/", "input_files", names.dump());
  writer.set_attribute("/", "rows_per_file", counts.dump());
  writer.set_attribute("/", "rows", rows);
  writer.set_attribute("/", "features", cols);
}

ImportSummary run_import(const ImportOptions& options) {
  const Recipe recipe = load_recipe(options.recipe_path);
  H5Writer writer(options.output, options.overwrite);
  const std::vector<ImportSource> sources =
      resolve_sources(recipe, options.data_dir, options.csv_files);
  ImportTableOptions table_options;
  table_options.truth_column = options.truth_column;
  table_options.max_abs_value = max_abs_for(options.dtype);
  const ImportedTable table = import_table(recipe, sources, table_options);
  write_import(table, recipe, writer, options.dtype);
  writer.commit();

  ImportSummary summary;
  summary.sources = table.sources;
  summary.source_rows = table.source_rows;
  summary.planted_rows.assign(table.sources.size(), 0);
  if (table.has_truth) {
    for (size_t i = 0; i < table.truth_farm.size(); ++i) {
      if (table.truth_farm[i] >= 0) ++summary.planted_rows[table.row_source[i]];
    }
  }
  summary.rows = table.features.rows;
  summary.features = table.features.cols;
  summary.has_truth = table.has_truth;
  return summary;
}

}  // namespace unfriend
