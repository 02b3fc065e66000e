// Writing the HDF5 files unfriend produces (results, synthetic data, imports): typed datasets
// and attributes, committed atomically. Reading them back: h5_reader.h.
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
/// Throws InputError when `path` exists and overwrite is false, or its folder is missing or not
/// writable; RuntimeFailure for write errors (e.g. out of disk), naming the file - after which
/// the temporary file is already removed and the writer refuses further writes. Misuse (a
/// dataset written twice, an attribute on a missing object) throws std::invalid_argument.
/// Strings are variable-length UTF-8 (what h5py reads as str).
class H5Writer {
 public:
  H5Writer(const std::string& path, bool overwrite);
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;

  /// Datasets; intermediate groups are created as needed ("/labels/cluster"). The integer
  /// vectors can be chunked by `chunk_rows` (0: contiguous), for long logs read in blocks.
  void write_int64(const std::string& dataset, const std::vector<int64_t>& values,
                   int64_t chunk_rows = 0);
  void write_int32(const std::string& dataset, const std::vector<int32_t>& values,
                   int64_t chunk_rows = 0);
  void write_int8(const std::string& dataset, const std::vector<int8_t>& values);
  void write_float32(const std::string& dataset, const std::vector<float>& values);
  void write_float64(const std::string& dataset, const std::vector<double>& values);
  void write_strings(const std::string& dataset, const std::vector<std::string>& values);
  /// A [rows x cols] row-major float32 matrix stored as `stored`, chunked by `chunk_rows`
  /// (0: contiguous), gzip level 0-9 (0: none; needs chunking).
  void write_matrix(const std::string& dataset, const float* data, int64_t rows, int64_t cols,
                    StoredFloat stored = StoredFloat::float32, int64_t chunk_rows = 0,
                    int gzip_level = 0);
  /// The same matrix written in pieces, for data that does not fit in memory at once: create
  /// it, then write consecutive or arbitrary row ranges (rows never written read back as 0).
  void create_matrix(const std::string& dataset, int64_t rows, int64_t cols,
                     StoredFloat stored = StoredFloat::float32, int64_t chunk_rows = 0,
                     int gzip_level = 0);
  void write_matrix_rows(const std::string& dataset, int64_t begin, int64_t count,
                         const float* data);
  /// A [rows x cols] int64 matrix (e.g. /graph/neighbors).
  void write_int64_matrix(const std::string& dataset, const int64_t* data, int64_t rows,
                          int64_t cols);
  void write_float32_matrix(const std::string& dataset, const float* data, int64_t rows,
                            int64_t cols);

  /// Attributes on a group or dataset ("/" for the file).
  void set_attribute(const std::string& object, const std::string& name, const std::string& value);
  void set_attribute(const std::string& object, const std::string& name, double value);
  void set_attribute(const std::string& object, const std::string& name, int64_t value);
  /// A plain int literal would be ambiguous between the double and int64_t overloads.
  void set_attribute(const std::string& object, const std::string& name, int value) {
    set_attribute(object, name, static_cast<int64_t>(value));
  }
  void set_attribute(const std::string& object, const std::string& name, const char* value) {
    set_attribute(object, name, std::string(value));
  }

  /// Flushes, closes and renames the temporary file to path(). Nothing can be written after.
  void commit();
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  void check_usable() const;
  void create_dataset(const std::string& dataset, int64_t file_type,
                      const std::vector<int64_t>& dims, int64_t chunk_rows, int gzip_level);
  void write_dataset(const std::string& dataset, int64_t file_type, int64_t memory_type,
                     const std::vector<int64_t>& dims, const void* data, int64_t chunk_rows = 0);
  void write_attribute(const std::string& object, const std::string& name, int64_t type,
                       const void* value);
  [[noreturn]] void fail(const std::string& message);
  void discard() noexcept;
  std::string path_;
  std::string temp_path_;
  bool overwrite_ = false;
  int64_t file_ = -1;
  bool committed_ = false;
  bool failed_ = false;
};

}  // namespace unfriend
