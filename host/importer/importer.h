// `unfriend import`: CSV files -> recipe -> an unfriend HDF5 input file, written atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/importer/import_table.h"
#include "host/importer/recipe.h"
#include "host/io/h5_writer.h"

namespace unfriend {

struct ImportOptions {
  std::string recipe_path;             // --recipe (required)
  std::vector<std::string> csv_files;  // positional CSVs, imported after the recipe's [[files]]
  std::string data_dir;                // --data-dir: base of the recipe's relative file paths
  std::string truth_column;            // --truth-column: overrides the recipe's truth_column
  std::string output;                  // -o
  StoredFloat dtype = StoredFloat::float32;
  bool overwrite = false;
};

/// The /truth/kind codes, also stored as the dataset's "codes" attribute.
constexpr int32_t kTruthKindGenuine = 0;
constexpr int32_t kTruthKindClickFarm = 2;
constexpr const char* kTruthKindCodes =
    "0=genuine,1=dense_genuine,2=click_farm,3=mass_report,4=near_duplicate";

/// Writes an imported table into an open writer (the caller commits, which renames the
/// temporary file to its final name):
///   /accounts/features  [N, F] as `dtype`, chunked by rows, gzip 4
///   /accounts/id        int64
///   /features/names     strings, in recipe order
///   /truth/farm int64 (-1 genuine), /truth/kind int32 (0 genuine, 2 campaign; attribute
///   "codes"), /truth/dup_group int64 (all -1), /truth/source (file of each row)  [when known]
/// and root attributes: recipe (its text), recipe_file, input_files and rows_per_file (JSON
/// arrays), rows, features, creator.
void write_import(const ImportedTable& table, const Recipe& recipe, H5Writer& writer,
                  StoredFloat dtype);

/// What an import did, for the command's summary lines.
struct ImportSummary {
  std::vector<ImportSource> sources;
  std::vector<int64_t> source_rows;   // rows read from each source
  std::vector<int64_t> planted_rows;  // per source: rows with a farm id >= 0 (when has_truth)
  int64_t rows = 0;
  int64_t features = 0;
  bool has_truth = false;
};

/// Loads the recipe, opens the output (so a file in the way fails before any work), resolves
/// the sources, imports, writes and commits `options.output`.
/// InputError/RuntimeFailure as the steps throw them; nothing is left under the output name
/// on failure.
ImportSummary run_import(const ImportOptions& options);

/// Largest magnitude a stored float type holds (float16: 65504).
double max_abs_for(StoredFloat dtype);

}  // namespace unfriend
