// Reads account feature matrices from HDF5 in bounded blocks, validating as it opens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/core/features.h"

namespace unfriend {

/// What `unfriend inspect` prints and what the sweep plans with.
struct InputInfo {
  std::string file;
  std::string features_path;
  std::string ids_path;
  int64_t rows = 0;
  int64_t cols = 0;
  std::string dtype;  // "float16", "float32" or "float64"
  bool has_ids = false;
  std::vector<int64_t> chunk;  // chunk shape, empty when contiguous
  std::string compression;     // "none", "gzip", "szip", ... (filters of the dataset)
};

/// Opens an input file read-only (it is never modified). The constructor validates and throws
/// InputError with one line "FILE: fault" for: missing file, not HDF5, truncated/unreadable
/// file, missing features dataset, wrong rank, non-float type (integer, compound, string),
/// N = 0, D = 0, a filter this HDF5 cannot decode, ids dataset present but not 1-D integer or
/// of a different length than the features. An empty ids_path means "no ids: use row indices".
/// Never reads the whole matrix: callers read blocks with read_rows().
class FeatureReader final : public RowSource {
 public:
  FeatureReader(const std::string& file, const std::string& features_path = "/accounts/features",
                const std::string& ids_path = "/accounts/id");
  ~FeatureReader() override;
  FeatureReader(const FeatureReader&) = delete;
  FeatureReader& operator=(const FeatureReader&) = delete;

  const InputInfo& info() const { return info_; }

  int64_t rows() const override { return info_.rows; }
  int64_t cols() const override { return info_.cols; }
  /// The input file.
  std::string name() const override { return info_.file; }

  /// Reads rows [begin, begin + count) converted to float32 into out[count * cols]. A read
  /// failure (broken chunk) throws InputError naming the file and the rows; NaN and Inf come
  /// back as they are (the caller's --on-invalid decides). A range outside [0, rows) is a
  /// caller bug: std::out_of_range. Not thread-safe (libhdf5 is not): one thread at a time.
  void read_rows(int64_t begin, int64_t count, float* out) const override;

  /// The account ids: /accounts/id when present (must be unique: InputError naming the first
  /// repeated id and its two rows otherwise), else the row index 0..N-1.
  std::vector<int64_t> read_ids() const;

  /// A good block size in rows: a multiple of the chunk rows near `target_bytes` of float32
  /// (so that each chunk is decompressed once), at least 1 and at most N.
  int64_t suggested_block_rows(int64_t target_bytes = 64 << 20) const;

 private:
  InputInfo info_;
  int64_t file_ = -1;
  int64_t features_ = -1;
  int64_t ids_ = -1;
  bool stored_half_ = false;  // IEEE float16: widened by us, not by HDF5
};

}  // namespace unfriend
