// Small typed helpers over the HDF5 C API for the files unfriend writes and reads back
// (results, synthetic data, imports). Input features go through FeatureReader instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unfriend {

/// Element type a float matrix is stored with.
enum class StoredFloat { float16, float32, float64 };
StoredFloat stored_float_from_string(const std::string& name);  // throws InputError

/// Writes a new HDF5 file atomically: everything goes to "<path>.tmp-<pid>" which commit()
/// flushes, closes and renames to `path`. Destroying an uncommitted writer removes the
/// temporary file, so a failure never leaves a partial file under the final name.
/// Throws InputError when `path` exists and overwrite is false, or its folder is not writable;
/// RuntimeFailure for write errors (e.g. out of disk), naming the file.
class H5Writer {
 public:
  H5Writer(const std::string& path, bool overwrite);
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;

  /// Datasets; intermediate groups are created as needed ("/labels/cluster").
  void write_int64(const std::string& dataset, const std::vector<int64_t>& values);
  void write_int32(const std::string& dataset, const std::vector<int32_t>& values);
  void write_float32(const std::string& dataset, const std::vector<float>& values);
  void write_float64(const std::string& dataset, const std::vector<double>& values);
  void write_strings(const std::string& dataset, const std::vector<std::string>& values);
  /// A [rows x cols] row-major float32 matrix stored as `stored`, chunked by `chunk_rows`
  /// (0: contiguous), gzip level 0-9 (0: none; needs chunking).
  void write_matrix(const std::string& dataset, const float* data, int64_t rows, int64_t cols,
                    StoredFloat stored = StoredFloat::float32, int64_t chunk_rows = 0,
                    int gzip_level = 0);
  /// A [rows x cols] int64 matrix (e.g. /graph/neighbors).
  void write_int64_matrix(const std::string& dataset, const int64_t* data, int64_t rows,
                          int64_t cols);
  void write_float32_matrix(const std::string& dataset, const float* data, int64_t rows,
                            int64_t cols);

  /// Attributes on a group or dataset ("/" for the file).
  void set_attribute(const std::string& object, const std::string& name, const std::string& value);
  void set_attribute(const std::string& object, const std::string& name, double value);
  void set_attribute(const std::string& object, const std::string& name, int64_t value);

  void commit();
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  int64_t ensure_parent_groups(const std::string& dataset);
  std::string path_;
  std::string temp_path_;
  int64_t file_ = -1;
  bool committed_ = false;
};

/// Read access to whole 1-D datasets and attributes of an existing file (read-only).
/// Errors are InputError "FILE: fault".
class H5Reader {
 public:
  explicit H5Reader(const std::string& path);
  ~H5Reader();
  H5Reader(const H5Reader&) = delete;
  H5Reader& operator=(const H5Reader&) = delete;

  bool has(const std::string& object) const;
  std::vector<int64_t> read_int64(const std::string& dataset) const;  // any integer type
  std::vector<float> read_float32(const std::string& dataset) const;  // any float type
  std::vector<std::string> read_strings(const std::string& dataset) const;
  std::vector<int64_t> shape(const std::string& dataset) const;
  std::string read_string_attribute(const std::string& object, const std::string& name) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int64_t file_ = -1;
};

}  // namespace unfriend
