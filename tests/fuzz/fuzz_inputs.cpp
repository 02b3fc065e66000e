// The fuzz targets' work on one input; see fuzz_inputs.h.
#include "tests/fuzz/fuzz_inputs.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "host/core/config.h"
#include "host/core/error.h"
#include "host/importer/import_table.h"
#include "host/importer/recipe.h"
#include "host/io/feature_reader.h"

namespace unfriend::fuzz {

namespace {

namespace fs = std::filesystem;

// Work bounds for HDF5 inputs: a ten-byte edit of a header can declare 2^60 rows, and reading
// those would only measure the disk. Up to this many values are read in full; beyond it the
// first and the last block only (the validation on open still sees the whole header).
constexpr int64_t kMaxValuesRead = int64_t{1} << 22;
// Likewise HDF5 spends microseconds per chunk: 10 x 262146 values in 4 x 2 chunks (393,219
// chunks, a 7 KiB file) take 20 s to read even without sanitizers. Past this many chunks the
// rows are not read at all; what is left to test there is HDF5's speed, not our code.
constexpr double kMaxChunksRead = 65536;
constexpr int64_t kBlockBytes = int64_t{64} << 10;  // small blocks: many partial-chunk reads

// A private folder for this process's temporary files, removed at exit.
const fs::path& scratch_folder() {
  static const fs::path folder = [] {
    fs::path base = fs::temp_directory_path() / ("unfriend-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(base);
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(scratch_folder(), ignored);
    });
    return base;
  }();
  return folder;
}

void write_file(const fs::path& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();  // the harness, not the library: without the file there is nothing to test
  }
}

// The fixed recipe for CSV mode: every transform, both missing policies, an id and a truth
// column, so that fuzzed fields reach every parser behind the CSV reader.
constexpr const char* kRecipe = R"(description = "fuzz recipe"
id_column = "id"
truth_column = "farm"
reference_time = "2017-01-01T00:00:00Z"
[[features]]
name = "log_count"
column = "count"
transform = "log1p"
missing = "error"
[[features]]
name = "ratio"
column = "count"
transform = "ratio"
denominator = "friends"
[[features]]
name = "rate"
column = "count"
transform = "per_day"
date_column = "created"
missing = -1
[[features]]
name = "verified"
column = "verified"
transform = "bool"
[[features]]
name = "name_length"
column = "name"
transform = "length"
[[features]]
name = "name_digits"
column = "name"
transform = "digit_share"
[[features]]
name = "age"
column = "created"
transform = "age_days"
[[features]]
name = "hour_sin"
column = "created"
transform = "hour_sin"
[[features]]
name = "hour_cos"
column = "created"
transform = "hour_cos"
[[features]]
name = "weekday_sin"
column = "created"
transform = "weekday_sin"
[[features]]
name = "weekday_cos"
column = "created"
transform = "weekday_cos"
[[features]]
name = "year"
column = "created"
transform = "year"
[[features]]
name = "score"
column = "score"
transform = "number"
missing = 0.5
)";

// The fixed CSV for recipe mode: the columns the seed recipes name, a quoted field, a NULL.
constexpr const char* kCsv =
    "id,farm,count,friends,created,verified,name,score\n"
    "1,-1,10,20,2013-06-11 11:20:35,true,alice,0.5\n"
    "2,3,0,,Tue Jun 11 11:20:35 +0000 2013,no,\"bob, 42\",NULL\n"
    "3,,12345,7,2016-02-29T23:59:59.5+05:30,1,c4r0l,-2e3\n";

void import_and_check(const Recipe& recipe, const std::vector<ImportSource>& sources,
                      const ImportTableOptions& options) {
  ImportedTable table = import_table(recipe, sources, options);
  // Shape invariants the writer relies on; a breach is a library bug, so make it loud.
  const size_t rows = table.ids.size();
  if (table.features.rows != static_cast<int64_t>(rows) ||
      table.features.cols != static_cast<int64_t>(table.feature_names.size()) ||
      table.features.values.size() != rows * table.feature_names.size() ||
      table.row_source.size() != rows || (table.has_truth && table.truth_farm.size() != rows)) {
    std::fprintf(stderr, "fuzz: import_table returned inconsistent shapes\n");
    std::abort();
  }
}

}  // namespace

void config_input(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    SweepConfig config = parse_config(text, "fuzz.toml");
    (void)config_to_json(config).dump();
  } catch (const InputError&) {
  } catch (const RuntimeFailure&) {
  }
  try {
    (void)parse_bytes(text.substr(0, text.find('\n')), "--max-memory");
  } catch (const InputError&) {
  }
}

void csv_import_input(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const bool recipe_mode = (data[0] & 1) != 0;
  const fs::path csv = scratch_folder() / "input.csv";
  try {
    if (!recipe_mode) {
      write_file(csv, data + 1, size - 1);
      static const Recipe recipe = parse_recipe(kRecipe, "fuzz-recipe.toml");
      ImportTableOptions options;
      if (data[0] & 2) options.max_abs_value = 65504;  // float16 output
      if (data[0] & 4) options.truth_column = "count";
      import_and_check(recipe, {ImportSource{csv.string(), "input.csv", std::nullopt}}, options);
    } else {
      const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
      Recipe recipe = parse_recipe(text, "fuzz.toml");
      write_file(csv, kCsv, std::char_traits<char>::length(kCsv));
      // Path resolution of the recipe's [[files]] is exercised; only the fixed CSV is read.
      std::vector<ImportSource> sources =
          resolve_sources(recipe, scratch_folder().string(), {csv.string()});
      import_and_check(recipe, {sources.back()}, ImportTableOptions{});
    }
  } catch (const InputError&) {
  } catch (const RuntimeFailure&) {
  }
}

void hdf5_input(const uint8_t* data, size_t size) {
  // A new name each time: should HDF5 ever keep a file open after a failure, it would otherwise
  // hand the next input the cached old file.
  static uint64_t serial = 0;
  const fs::path path = scratch_folder() / ("input-" + std::to_string(serial++) + ".h5");
  write_file(path, data, size);
  try {
    FeatureReader reader(path.string());
    const InputInfo& info = reader.info();
    if (info.rows <= 0 || info.cols <= 0) {
      std::fprintf(stderr, "fuzz: FeatureReader accepted %lld x %lld\n",
                   static_cast<long long>(info.rows), static_cast<long long>(info.cols));
      std::abort();
    }
    if (info.rows <= kMaxValuesRead) (void)reader.read_ids();
    if (info.cols > kMaxValuesRead) return;
    if (!info.chunk.empty()) {
      double chunks = 1;
      for (size_t d = 0; d < info.chunk.size() && d < 2; ++d) {
        const double extent = static_cast<double>(d == 0 ? info.rows : info.cols);
        chunks *= std::ceil(extent / static_cast<double>(std::max<int64_t>(1, info.chunk[d])));
      }
      if (chunks > kMaxChunksRead) return;
    }
    const int64_t block = std::min(reader.suggested_block_rows(kBlockBytes),
                                   std::max<int64_t>(1, kMaxValuesRead / info.cols));
    if (block < 1 || block > info.rows) {
      std::fprintf(stderr, "fuzz: suggested_block_rows gave %lld for %lld rows\n",
                   static_cast<long long>(block), static_cast<long long>(info.rows));
      std::abort();
    }
    std::vector<float> out(static_cast<size_t>(block * info.cols));
    const bool read_all = info.rows <= kMaxValuesRead / info.cols;
    for (int64_t begin = 0; begin < info.rows; begin += block) {
      if (!read_all && begin > 0) begin = std::max(begin, info.rows - block);
      const int64_t count = std::min(block, info.rows - begin);
      // A block that fails to read (a broken chunk) must leave the reader usable: go on.
      try {
        reader.read_rows(begin, count, out.data());
      } catch (const InputError&) {
      }
    }
  } catch (const InputError&) {
  } catch (const RuntimeFailure&) {
  }
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace unfriend::fuzz
