// H5Writer (atomic creation of result files) and H5Reader (whole-dataset reads).
#include "host/io/h5_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "host/core/error.h"
#include "host/io/float16.h"
#include "host/io/h5_handle.h"
#include "host/io/h5_open.h"
#include "host/io/h5_types.h"

namespace unfriend {

using io::H5Handle;

// ---------------------------------------------------------------------------------------------
// H5Reader

namespace {

H5Handle open_dataset(hid_t file, const std::string& path, const std::string& dataset) {
  const std::string name = io::normalize_path(dataset);
  switch (io::object_kind(file, name)) {
    case io::ObjectKind::missing:
      throw InputError(fmt::format("{}: missing dataset {}", path, name));
    case io::ObjectKind::dataset:
      break;
    case io::ObjectKind::group:
      throw InputError(fmt::format("{}: {} is a group, expected a dataset", path, name));
    default:
      throw InputError(fmt::format("{}: {} is not a dataset", path, name));
  }
  H5Handle handle = io::dataset_handle(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
  if (!handle) {
    throw InputError(fmt::format("{}: cannot open {}{}", path, name, io::reason_suffix()));
  }
  return handle;
}

int64_t element_count(hid_t space) {
  if (H5Sget_simple_extent_type(space) == H5S_NULL) return 0;
  hssize_t points = H5Sget_simple_extent_npoints(space);
  return points < 0 ? 0 : static_cast<int64_t>(points);
}

template <typename T>
std::vector<T> read_numeric(hid_t file, const std::string& path, const std::string& dataset,
                            hid_t memory_type, H5T_class_t wanted, const char* wanted_word) {
  H5Handle handle = open_dataset(file, path, dataset);
  const std::string name = io::normalize_path(dataset);
  H5Handle type = io::type_handle(H5Dget_type(handle.get()));
  H5Handle space = io::space_handle(H5Dget_space(handle.get()));
  if (!type || !space) {
    throw InputError(fmt::format("{}: cannot read {}{}", path, name, io::reason_suffix()));
  }
  if (H5Tget_class(type.get()) != wanted) {
    throw InputError(fmt::format("{}: {} has type {}, expected {}", path, name,
                                 io::type_name(type.get()), wanted_word));
  }
  std::vector<T> values(static_cast<size_t>(element_count(space.get())));
  if (values.empty()) return values;
  if (io::is_ieee_half(type.get())) {
    // Read raw and widen ourselves (see host/io/float16.h).
    std::vector<uint16_t> halves(values.size());
    if (H5Dread(handle.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, halves.data()) < 0) {
      throw InputError(fmt::format("{}: cannot read {}{}", path, name, io::reason_suffix()));
    }
    for (size_t i = 0; i < halves.size(); ++i) {
      values[i] = static_cast<T>(half_to_float(halves[i]));
    }
    return values;
  }
  if (H5Dread(handle.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    throw InputError(fmt::format("{}: cannot read {}{}", path, name, io::reason_suffix()));
  }
  return values;
}

// One string from a fixed-length buffer: up to the first NUL, trailing pad spaces removed.
std::string fixed_string(const char* begin, size_t size, H5T_str_t pad) {
  size_t length = 0;
  while (length < size && begin[length] != '\0') ++length;
  if (pad == H5T_STR_SPACEPAD) {
    while (length > 0 && begin[length - 1] == ' ') --length;
  }
  return std::string(begin, length);
}

// A string memory type matching `stored`: variable stays variable, fixed keeps its size.
H5Handle string_memory_type(hid_t stored) {
  H5Handle type = io::type_handle(H5Tcopy(H5T_C_S1));
  if (H5Tis_variable_str(stored) > 0) {
    H5Tset_size(type.get(), H5T_VARIABLE);
  } else {
    H5Tset_size(type.get(), H5Tget_size(stored));
    H5Tset_strpad(type.get(), H5Tget_strpad(stored));
  }
  H5Tset_cset(type.get(), H5Tget_cset(stored));
  return type;
}

H5Handle open_attribute(hid_t file, const std::string& path, const std::string& object,
                        const std::string& name) {
  const std::string target = io::normalize_path(object);
  if (io::object_kind(file, target) == io::ObjectKind::missing) {
    throw InputError(
        fmt::format("{}: missing object {} (looking for attribute '{}')", path, target, name));
  }
  if (H5Aexists_by_name(file, target.c_str(), name.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(fmt::format("{}: {} has no attribute '{}'", path, target, name));
  }
  H5Handle attribute = io::attribute_handle(
      H5Aopen_by_name(file, target.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute) {
    throw InputError(fmt::format("{}: cannot read attribute '{}' of {}{}", path, name, target,
                                 io::reason_suffix()));
  }
  return attribute;
}

template <typename T>
T read_scalar_attribute(hid_t file, const std::string& path, const std::string& object,
                        const std::string& name, hid_t memory_type, bool accept_integer,
                        bool accept_float, const char* wanted_word) {
  H5Handle attribute = open_attribute(file, path, object, name);
  const std::string target = io::normalize_path(object);
  H5Handle type = io::type_handle(H5Aget_type(attribute.get()));
  H5Handle space = io::space_handle(H5Aget_space(attribute.get()));
  H5T_class_t type_class = type ? H5Tget_class(type.get()) : H5T_NO_CLASS;
  if (!((accept_integer && type_class == H5T_INTEGER) ||
        (accept_float && type_class == H5T_FLOAT))) {
    throw InputError(fmt::format("{}: attribute '{}' of {} has type {}, expected {}", path, name,
                                 target, type ? io::type_name(type.get()) : "?", wanted_word));
  }
  if (!space || element_count(space.get()) != 1) {
    throw InputError(
        fmt::format("{}: attribute '{}' of {} is not a single value", path, name, target));
  }
  T value{};
  if (H5Aread(attribute.get(), memory_type, &value) < 0) {
    throw InputError(fmt::format("{}: cannot read attribute '{}' of {}{}", path, name, target,
                                 io::reason_suffix()));
  }
  return value;
}

}  // namespace

H5Reader::H5Reader(const std::string& path) : path_(path) {
  file_ = io::open_for_reading(path).release();
}

H5Reader::~H5Reader() {
  if (file_ >= 0) H5Fclose(file_);
}

bool H5Reader::has(const std::string& object) const {
  io::ObjectKind kind = io::object_kind(file_, object);
  return kind == io::ObjectKind::group || kind == io::ObjectKind::dataset;
}

std::vector<int64_t> H5Reader::read_int64(const std::string& dataset) const {
  io::silence_hdf5_errors();
  return read_numeric<int64_t>(file_, path_, dataset, H5T_NATIVE_INT64, H5T_INTEGER, "integers");
}

std::vector<float> H5Reader::read_float32(const std::string& dataset) const {
  io::silence_hdf5_errors();
  return read_numeric<float>(file_, path_, dataset, H5T_NATIVE_FLOAT, H5T_FLOAT, "floating point");
}

std::vector<double> H5Reader::read_float64(const std::string& dataset) const {
  io::silence_hdf5_errors();
  return read_numeric<double>(file_, path_, dataset, H5T_NATIVE_DOUBLE, H5T_FLOAT,
                              "floating point");
}

std::vector<std::string> H5Reader::read_strings(const std::string& dataset) const {
  io::silence_hdf5_errors();
  H5Handle handle = open_dataset(file_, path_, dataset);
  const std::string name = io::normalize_path(dataset);
  H5Handle type = io::type_handle(H5Dget_type(handle.get()));
  H5Handle space = io::space_handle(H5Dget_space(handle.get()));
  if (!type || !space) {
    throw InputError(fmt::format("{}: cannot read {}{}", path_, name, io::reason_suffix()));
  }
  if (H5Tget_class(type.get()) != H5T_STRING) {
    throw InputError(fmt::format("{}: {} has type {}, expected strings", path_, name,
                                 io::type_name(type.get())));
  }
  const auto count = static_cast<size_t>(element_count(space.get()));
  std::vector<std::string> values;
  values.reserve(count);
  if (count == 0) return values;
  H5Handle memory_type = string_memory_type(type.get());
  if (H5Tis_variable_str(type.get()) > 0) {
    std::vector<char*> pointers(count, nullptr);
    if (H5Dread(handle.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) <
        0) {
      throw InputError(fmt::format("{}: cannot read {}{}", path_, name, io::reason_suffix()));
    }
    for (char* pointer : pointers) values.emplace_back(pointer != nullptr ? pointer : "");
    H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, pointers.data());
  } else {
    const size_t size = H5Tget_size(type.get());
    std::vector<char> buffer(count * size);
    if (H5Dread(handle.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) <
        0) {
      throw InputError(fmt::format("{}: cannot read {}{}", path_, name, io::reason_suffix()));
    }
    const H5T_str_t pad = H5Tget_strpad(type.get());
    for (size_t i = 0; i < count; ++i) {
      values.push_back(fixed_string(buffer.data() + i * size, size, pad));
    }
  }
  return values;
}

std::vector<int64_t> H5Reader::shape(const std::string& dataset) const {
  io::silence_hdf5_errors();
  H5Handle handle = open_dataset(file_, path_, dataset);
  return io::dataset_layout(handle.get()).shape;
}

bool H5Reader::has_attribute(const std::string& object, const std::string& name) const {
  io::silence_hdf5_errors();
  const std::string target = io::normalize_path(object);
  if (io::object_kind(file_, target) == io::ObjectKind::missing) return false;
  htri_t exists = H5Aexists_by_name(file_, target.c_str(), name.c_str(), H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

std::string H5Reader::read_string_attribute(const std::string& object,
                                            const std::string& name) const {
  io::silence_hdf5_errors();
  H5Handle attribute = open_attribute(file_, path_, object, name);
  const std::string target = io::normalize_path(object);
  H5Handle type = io::type_handle(H5Aget_type(attribute.get()));
  H5Handle space = io::space_handle(H5Aget_space(attribute.get()));
  if (!type || H5Tget_class(type.get()) != H5T_STRING) {
    throw InputError(fmt::format("{}: attribute '{}' of {} has type {}, expected a string", path_,
                                 name, target, type ? io::type_name(type.get()) : "?"));
  }
  if (!space || element_count(space.get()) != 1) {
    throw InputError(
        fmt::format("{}: attribute '{}' of {} is not a single string", path_, name, target));
  }
  H5Handle memory_type = string_memory_type(type.get());
  if (H5Tis_variable_str(type.get()) > 0) {
    char* pointer = nullptr;
    if (H5Aread(attribute.get(), memory_type.get(), &pointer) < 0) {
      throw InputError(fmt::format("{}: cannot read attribute '{}' of {}{}", path_, name, target,
                                   io::reason_suffix()));
    }
    std::string value = pointer != nullptr ? pointer : "";
    H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, &pointer);
    return value;
  }
  const size_t size = H5Tget_size(type.get());
  std::vector<char> buffer(size);
  if (H5Aread(attribute.get(), memory_type.get(), buffer.data()) < 0) {
    throw InputError(fmt::format("{}: cannot read attribute '{}' of {}{}", path_, name, target,
                                 io::reason_suffix()));
  }
  return fixed_string(buffer.data(), size, H5Tget_strpad(type.get()));
}

double H5Reader::read_double_attribute(const std::string& object, const std::string& name) const {
  io::silence_hdf5_errors();
  return read_scalar_attribute<double>(file_, path_, object, name, H5T_NATIVE_DOUBLE, true, true,
                                       "a number");
}

int64_t H5Reader::read_int64_attribute(const std::string& object, const std::string& name) const {
  io::silence_hdf5_errors();
  return read_scalar_attribute<int64_t>(file_, path_, object, name, H5T_NATIVE_INT64, true, false,
                                        "an integer");
}

}  // namespace unfriend
