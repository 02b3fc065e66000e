// Internal to host/io: people-readable names for HDF5 datatypes, and a dataset's shape,
// chunking and filters, shared by FeatureReader, H5Reader and inspect.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/io/h5_handle.h"

namespace unfriend::io {

/// "float32", "int64", "uint8", "string", "string[12]", "compound{id: int64, x: float32}",
/// "enum(int8)", "array[3] of float32", ...: numpy-like names a user recognises.
std::string type_name(hid_t type);

/// Whether `type` is exactly little-endian IEEE binary16 (what h5py and our writer store):
/// then we convert ourselves (host/io/float16.h) instead of trusting HDF5's soft conversion.
bool is_ieee_half(hid_t type);

/// The class of a type as a word for messages: "integer", "float", "string", "compound", ...
std::string type_class_word(hid_t type);

struct FilterInfo {
  int id = 0;
  std::string name;       // "gzip", "shuffle", "szip", "blosc", or "filter 32099"
  bool available = true;  // whether this HDF5 library can decode it
};

struct DatasetLayout {
  bool null_space = false;     // H5S_NULL: a dataset without any data
  std::vector<int64_t> shape;  // empty for a scalar
  std::vector<int64_t> chunk;  // empty when not chunked
  std::string storage;         // "contiguous", "chunked", "compact", "virtual"
  std::vector<FilterInfo> filters;
};

/// Best effort: fields it cannot read stay empty (a corrupt header shows up on the read).
DatasetLayout dataset_layout(hid_t dataset);

/// "none" or the filter names joined with "+" in pipeline order ("shuffle+gzip").
std::string filters_string(const std::vector<FilterInfo>& filters);

/// "1000 x 7", "scalar", or "empty (null)".
std::string shape_string(const DatasetLayout& layout);

}  // namespace unfriend::io
