// What identifies an input file cheaply, so that a checkpoint (checkpoint.h) and a sweep that
// watches its input (the input changed while it ran) can tell it from another file or a
// rewritten one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace unfriend {

class FeatureReader;

/// What identifies an input file cheaply: where it is, its size and modification time, the
/// datasets' shapes and type, and a hash of 64 feature rows spread over the file.
struct InputIdentity {
  std::string path;  // absolute
  int64_t size_bytes = 0;
  int64_t mtime_ns = 0;
  std::string features_path;
  std::string ids_path;
  bool has_ids = false;
  int64_t rows = 0;
  int64_t cols = 0;
  std::string dtype;
  std::string sample_hash;  // 16 hex digits

  nlohmann::json to_json() const;
};

/// The identity of the input `path` opened by `reader` (reads 64 rows).
InputIdentity input_identity(const std::string& path, const FeatureReader& reader);

}  // namespace unfriend
