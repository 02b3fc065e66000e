// Reading whole datasets and attributes of the HDF5 files unfriend writes and reads back
// (results, synthetic data, imports). Input features go through FeatureReader instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unfriend {

/// Read access to whole datasets and attributes of an existing file (opened read-only; the
/// file is never modified). Errors are InputError "FILE: fault" (missing file, not HDF5,
/// missing object, wrong type, unreadable data).
class H5Reader {
 public:
  explicit H5Reader(const std::string& path);
  ~H5Reader();
  H5Reader(const H5Reader&) = delete;
  H5Reader& operator=(const H5Reader&) = delete;

  /// Whether a group or dataset exists at `object` (false, not an error, when parents are
  /// missing).
  bool has(const std::string& object) const;
  /// All elements, row-major (use shape() for the extents of a matrix).
  std::vector<int64_t> read_int64(const std::string& dataset) const;        // any integer type
  std::vector<float> read_float32(const std::string& dataset) const;        // any float type
  std::vector<double> read_float64(const std::string& dataset) const;       // any float type
  std::vector<std::string> read_strings(const std::string& dataset) const;  // vlen or fixed
  std::vector<int64_t> shape(const std::string& dataset) const;             // empty for a scalar
  bool has_attribute(const std::string& object, const std::string& name) const;
  std::string read_string_attribute(const std::string& object, const std::string& name) const;
  double read_double_attribute(const std::string& object, const std::string& name) const;
  int64_t read_int64_attribute(const std::string& object, const std::string& name) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int64_t file_ = -1;
};

}  // namespace unfriend
