// Reads account feature matrices from HDF5 in bounded blocks, validating as it opens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unfriend {

/// What `unfriend inspect` prints and what the sweep plans with.
struct InputInfo {
  std::string file;
  std::string features_path;
  std::string ids_path;
  int64_t rows = 0;
  int64_t cols = 0;
  std::string dtype;             // "float16", "float32" or "float64"
  bool has_ids = false;
  std::vector<int64_t> chunk;    // chunk shape, empty when contiguous
  std::string compression;       // "none", "gzip", "szip", ... (filters of the dataset)
};

/// Opens an input file read-only. The constructor validates and throws InputError with one line
/// "FILE: fault" for: missing file, not HDF5, truncated/unreadable file, missing features
/// dataset, wrong rank, non-float type (integer, compound, string), N = 0, D = 0, ids dataset
/// present but not 1-D integer or of a different length than the features.
class FeatureReader {
 public:
  FeatureReader(const std::string& file, const std::string& features_path = "/accounts/features",
                const std::string& ids_path = "/accounts/id");
  ~FeatureReader();
  FeatureReader(const FeatureReader&) = delete;
  FeatureReader& operator=(const FeatureReader&) = delete;

  const InputInfo& info() const { return info_; }

  /// Reads rows [begin, begin + count) converted to float32 into out[count * cols]. A read
  /// failure (broken chunk) throws InputError naming the file and the rows.
  void read_rows(int64_t begin, int64_t count, float* out) const;

  /// The account ids: /accounts/id when present (must be unique: InputError naming a repeated
  /// id otherwise), else the row index 0..N-1.
  std::vector<int64_t> read_ids() const;

  /// A good block size in rows: a multiple of the chunk rows near `target_bytes` of float32.
  int64_t suggested_block_rows(int64_t target_bytes = 64 << 20) const;

 private:
  InputInfo info_;
  int64_t file_ = -1;
  int64_t features_ = -1;
  int64_t ids_ = -1;
};

}  // namespace unfriend
