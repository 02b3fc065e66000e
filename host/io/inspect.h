// Describes an HDF5 file for people (`unfriend inspect`): what it holds and whether it is valid
// unfriend input, as text or JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "host/io/feature_reader.h"

namespace unfriend {

/// One group or dataset of the file.
struct ObjectDescription {
  std::string path;            // "/accounts/features"
  std::string kind;            // "group", "dataset", "datatype" or "other"
  std::vector<int64_t> shape;  // datasets: extents (empty for a scalar)
  std::string shape_text;      // datasets: "1000 x 7", "scalar", "empty (null)"
  std::string dtype;           // datasets: "float32", "string", "compound{...}"
  std::string storage;         // datasets: "contiguous", "chunked", "compact", "virtual"
  std::vector<int64_t> chunk;  // datasets: chunk extents (empty when not chunked)
  std::string filters;         // datasets: "none", "gzip", "shuffle+gzip", ...
  int64_t attributes = 0;      // number of attributes on the object
};

/// One attribute of the root group, its value made printable.
struct AttributeDescription {
  std::string name;
  std::string dtype;
  std::string value;  // strings quoted and shortened, numbers as written, else a summary
};

struct DescribeOptions {
  std::string features_path = "/accounts/features";
  std::string ids_path = "/accounts/id";
  bool ids_required = false;   // the ids path was named explicitly, so it must exist
  bool read_all_rows = false;  // also read every row (every chunk decodes, values finite)
  int64_t max_objects = 1000;  // listing cap for files with very many objects
};

/// An action log (/actions/*) found in the file, checked by reading every row.
struct ActionLogDescription {
  bool present = false;
  bool valid = false;
  std::string reason;  // the one-line InputError message when not valid
  int64_t rows = 0;
  int64_t accounts = -1;  // distinct; -1 when not counted (logs over 100M rows)
  int64_t targets = -1;
  int64_t first_time = 0, last_time = 0;
  bool has_kind = false;
  std::vector<std::pair<int32_t, int64_t>> kinds;  // (code, actions), by code
};

struct FileDescription {
  std::string file;
  int64_t size_bytes = 0;
  bool is_hdf5 = false;  // false: nothing could be listed (see reason)
  std::vector<ObjectDescription> objects;
  int64_t objects_total = 0;  // may exceed objects.size() when the listing was capped
  std::vector<AttributeDescription> root_attributes;
  bool valid_input = false;
  std::string reason;  // the one-line InputError message when not valid
  InputInfo input;     // filled when valid_input
  int64_t suggested_block_rows = 0;
  int64_t unique_ids = 0;  // rows whose ids were checked unique (valid input)
  ActionLogDescription actions;
};

/// Never throws for bad input: a file that cannot be opened or is not valid input is described
/// with is_hdf5 / valid_input false and the reason.
FileDescription describe_file(const std::string& file, const DescribeOptions& options = {});

/// A few aligned lines: the listing, the root attributes, and the verdict.
std::string format_description(const FileDescription& description);

nlohmann::json description_to_json(const FileDescription& description);

}  // namespace unfriend
