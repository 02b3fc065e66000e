// H5Writer (atomic creation of result files) and H5Reader (whole-dataset reads).
#include "host/io/h5_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "host/core/error.h"
#include "host/io/durable_file.h"
#include "host/io/float16.h"
#include "host/io/h5_handle.h"
#include "host/io/h5_open.h"
#include "host/io/h5_types.h"

namespace unfriend {

using io::H5Handle;

StoredFloat stored_float_from_string(const std::string& name) {
  if (name == "float16" || name == "f16" || name == "half") return StoredFloat::float16;
  if (name == "float32" || name == "f32" || name == "float") return StoredFloat::float32;
  if (name == "float64" || name == "f64" || name == "double") return StoredFloat::float64;
  throw InputError(
      fmt::format("unknown float type '{}' (expected float16, float32 or float64)", name));
}

namespace {

// IEEE 754 binary16 laid out as h5py does, so that numpy reads it back as float16:
// HDF5 1.10 has no predefined half type.
H5Handle half_float_type() {
  H5Handle type = io::type_handle(H5Tcopy(H5T_IEEE_F32LE));
  if (!type || H5Tset_fields(type.get(), 15, 10, 5, 0, 10) < 0 || H5Tset_size(type.get(), 2) < 0 ||
      H5Tset_ebias(type.get(), 15) < 0) {
    throw RuntimeFailure("cannot build the HDF5 float16 type" + io::reason_suffix());
  }
  return type;
}

H5Handle stored_float_type(StoredFloat stored) {
  switch (stored) {
    case StoredFloat::float16:
      return half_float_type();
    case StoredFloat::float64:
      return io::type_handle(H5Tcopy(H5T_IEEE_F64LE));
    case StoredFloat::float32:
    default:
      return io::type_handle(H5Tcopy(H5T_IEEE_F32LE));
  }
}

// Variable-length UTF-8 strings: h5py returns them as str.
H5Handle utf8_string_type() {
  H5Handle type = io::type_handle(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

// Largest chunk HDF5 accepts is 4 GiB; stay well below so a chunk also fits the chunk cache.
constexpr int64_t kMaxChunkBytes = int64_t{1} << 30;
// Chunk size picked when gzip is requested without one: big enough to compress well, small
// enough that a block read does not decompress much it does not need.
constexpr int64_t kDefaultChunkBytes = int64_t{1} << 20;

}  // namespace

// ---------------------------------------------------------------------------------------------
// H5Writer

H5Writer::H5Writer(const std::string& path, bool overwrite) : path_(path), overwrite_(overwrite) {
  io::silence_hdf5_errors();
  if (path.empty()) throw InputError("output path is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      throw InputError(fmt::format("{}: cannot create output (it is a folder)", path));
    }
    if (!overwrite) throw InputError(fmt::format("{}: exists (use --overwrite)", path));
  }
  const std::string folder = folder_of(path);
  if (::stat(folder.c_str(), &st) != 0) {
    throw InputError(
        fmt::format("{}: cannot create output (folder {} does not exist)", path, folder));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw InputError(fmt::format("{}: cannot create output ({} is not a folder)", path, folder));
  }
  // Same folder as the final name, so that commit()'s rename is atomic.
  temp_path_ = fmt::format("{}.tmp-{}", path, ::getpid());
  // A plain open first gives the precise reason (permissions, read-only filesystem...), which
  // HDF5 reduces to "unable to open file".
  int fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    throw InputError(fmt::format("{}: cannot create output ({})", path, std::strerror(errno)));
  }
  ::close(fd);
  H5Handle fapl = io::plist_handle(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  H5Pset_file_locking(fapl.get(), true, true);
  file_ = H5Fcreate(temp_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (file_ < 0) {
    std::string reason = io::hdf5_error_reason();
    std::remove(temp_path_.c_str());
    throw InputError(fmt::format("{}: cannot create output ({})", path,
                                 reason.empty() ? std::string("HDF5 refused it") : reason));
  }
}

H5Writer::~H5Writer() {
  if (!committed_) discard();
}

void H5Writer::discard() noexcept {
  if (file_ >= 0) {
    H5Fclose(file_);
    H5Eclear2(H5E_DEFAULT);
    file_ = -1;
  }
  if (!temp_path_.empty()) std::remove(temp_path_.c_str());
}

void H5Writer::fail(const std::string& message) {
  discard();
  failed_ = true;
  throw RuntimeFailure(message);
}

void H5Writer::check_usable() const {
  io::silence_hdf5_errors();
  if (committed_) {
    throw std::logic_error(fmt::format("{}: written after commit()", path_));
  }
  if (failed_ || file_ < 0) {
    throw RuntimeFailure(fmt::format("{}: not written (an earlier write failed)", path_));
  }
}

void H5Writer::create_dataset(const std::string& dataset, int64_t file_type,
                              const std::vector<int64_t>& dims, int64_t chunk_rows,
                              int gzip_level) {
  check_usable();
  const std::string name = io::normalize_path(dataset);
  if (name == "/") throw std::invalid_argument(fmt::format("{}: empty dataset name", path_));
  if (gzip_level < 0 || gzip_level > 9) {
    throw InputError(fmt::format("{}: gzip level {} is out of range 0-9", path_, gzip_level));
  }
  if (chunk_rows < 0) {
    throw std::invalid_argument(fmt::format("{}: negative chunk rows for {}", path_, name));
  }
  for (int64_t d : dims) {
    if (d < 0) throw std::invalid_argument(fmt::format("{}: negative extent for {}", path_, name));
  }
  if (io::object_kind(file_, name) != io::ObjectKind::missing) {
    throw std::invalid_argument(fmt::format("{}: {} is already written", path_, name));
  }
  // Parents are created as groups; one that exists must be a group (not a dataset).
  for (size_t slash = name.find('/', 1); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    const std::string parent = name.substr(0, slash);
    const io::ObjectKind kind = io::object_kind(file_, parent);
    if (kind != io::ObjectKind::missing && kind != io::ObjectKind::group) {
      throw std::invalid_argument(
          fmt::format("{}: cannot create {}: {} is not a group", path_, name, parent));
    }
  }

  std::vector<hsize_t> extents(dims.begin(), dims.end());
  H5Handle space =
      io::space_handle(H5Screate_simple(static_cast<int>(extents.size()), extents.data(), nullptr));
  H5Handle dcpl = io::plist_handle(H5Pcreate(H5P_DATASET_CREATE));
  if (!space || !dcpl)
    fail(fmt::format("{}: cannot create {}{}", path_, name, io::reason_suffix()));
  // No creation/modification times in the object headers: the same data gives the same bytes
  // (a generated world, a rerun sweep), whenever it is written.
  H5Pset_obj_track_times(dcpl.get(), false);

  int64_t elements = 1;
  for (int64_t d : dims) elements *= d;
  const bool want_chunks = chunk_rows > 0 || gzip_level > 0;
  // An empty dataset cannot be chunked (chunk extents must be >= 1 and <= the fixed extents).
  if (want_chunks && !dims.empty() && elements > 0) {
    const int64_t row_bytes = static_cast<int64_t>(H5Tget_size(file_type)) * (elements / dims[0]);
    int64_t rows_per_chunk = chunk_rows > 0 ? chunk_rows : kDefaultChunkBytes / row_bytes;
    rows_per_chunk = std::min<int64_t>(rows_per_chunk, kMaxChunkBytes / row_bytes);
    rows_per_chunk = std::max<int64_t>(1, std::min<int64_t>(rows_per_chunk, dims[0]));
    if (row_bytes <= kMaxChunkBytes) {  // rows wider than that stay contiguous
      std::vector<hsize_t> chunk(extents);
      chunk[0] = static_cast<hsize_t>(rows_per_chunk);
      if (H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) < 0 ||
          (gzip_level > 0 && H5Pset_deflate(dcpl.get(), static_cast<unsigned>(gzip_level)) < 0)) {
        fail(fmt::format("{}: cannot set chunking of {}{}", path_, name, io::reason_suffix()));
      }
    }
  }
  H5Handle lcpl = io::plist_handle(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  H5Handle created = io::dataset_handle(
      H5Dcreate2(file_, name.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT));
  if (!created) fail(fmt::format("{}: cannot create {}{}", path_, name, io::reason_suffix()));
  if (!created.reset())
    fail(fmt::format("{}: cannot write {}{}", path_, name, io::reason_suffix()));
}

void H5Writer::write_dataset(const std::string& dataset, int64_t file_type, int64_t memory_type,
                             const std::vector<int64_t>& dims, const void* data,
                             int64_t chunk_rows) {
  create_dataset(dataset, file_type, dims, chunk_rows, 0);
  int64_t elements = 1;
  for (int64_t d : dims) elements *= d;
  if (elements == 0) return;
  const std::string name = io::normalize_path(dataset);
  H5Handle handle = io::dataset_handle(H5Dopen2(file_, name.c_str(), H5P_DEFAULT));
  if (!handle || H5Dwrite(handle.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0 ||
      !handle.reset()) {
    fail(fmt::format("{}: cannot write {}{}", path_, name, io::reason_suffix()));
  }
}

void H5Writer::write_int64(const std::string& dataset, const std::vector<int64_t>& values,
                           int64_t chunk_rows) {
  write_dataset(dataset, H5T_STD_I64LE, H5T_NATIVE_INT64, {static_cast<int64_t>(values.size())},
                values.data(), chunk_rows);
}

void H5Writer::write_int32(const std::string& dataset, const std::vector<int32_t>& values,
                           int64_t chunk_rows) {
  write_dataset(dataset, H5T_STD_I32LE, H5T_NATIVE_INT32, {static_cast<int64_t>(values.size())},
                values.data(), chunk_rows);
}

void H5Writer::write_int8(const std::string& dataset, const std::vector<int8_t>& values) {
  write_dataset(dataset, H5T_STD_I8LE, H5T_NATIVE_INT8, {static_cast<int64_t>(values.size())},
                values.data());
}

void H5Writer::write_float32(const std::string& dataset, const std::vector<float>& values) {
  write_dataset(dataset, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {static_cast<int64_t>(values.size())},
                values.data());
}

void H5Writer::write_float64(const std::string& dataset, const std::vector<double>& values) {
  write_dataset(dataset, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {static_cast<int64_t>(values.size())},
                values.data());
}

void H5Writer::write_strings(const std::string& dataset, const std::vector<std::string>& values) {
  check_usable();
  H5Handle type = utf8_string_type();
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& value : values) pointers.push_back(value.c_str());
  write_dataset(dataset, type.get(), type.get(), {static_cast<int64_t>(values.size())},
                pointers.data());
}

void H5Writer::write_matrix(const std::string& dataset, const float* data, int64_t rows,
                            int64_t cols, StoredFloat stored, int64_t chunk_rows, int gzip_level) {
  create_matrix(dataset, rows, cols, stored, chunk_rows, gzip_level);
  write_matrix_rows(dataset, 0, rows, data);
}

void H5Writer::create_matrix(const std::string& dataset, int64_t rows, int64_t cols,
                             StoredFloat stored, int64_t chunk_rows, int gzip_level) {
  check_usable();
  H5Handle type = stored_float_type(stored);
  create_dataset(dataset, type.get(), {rows, cols}, chunk_rows, gzip_level);
}

void H5Writer::write_matrix_rows(const std::string& dataset, int64_t begin, int64_t count,
                                 const float* data) {
  check_usable();
  const std::string name = io::normalize_path(dataset);
  if (io::object_kind(file_, name) != io::ObjectKind::dataset) {
    throw std::invalid_argument(fmt::format("{}: no matrix {} to write rows to", path_, name));
  }
  H5Handle handle = io::dataset_handle(H5Dopen2(file_, name.c_str(), H5P_DEFAULT));
  H5Handle file_space = io::space_handle(handle ? H5Dget_space(handle.get()) : -1);
  if (!file_space) fail(fmt::format("{}: cannot write {}{}", path_, name, io::reason_suffix()));
  hsize_t dims[2] = {0, 0};
  if (H5Sget_simple_extent_ndims(file_space.get()) != 2) {
    throw std::invalid_argument(fmt::format("{}: {} is not a matrix", path_, name));
  }
  H5Sget_simple_extent_dims(file_space.get(), dims, nullptr);
  const auto rows = static_cast<int64_t>(dims[0]);
  if (begin < 0 || count < 0 || begin + count > rows) {
    throw std::invalid_argument(fmt::format("{}: rows [{}, {}) are outside {} ({} rows)", path_,
                                            begin, begin + count, name, rows));
  }
  if (count == 0 || dims[1] == 0) return;
  const auto cols = static_cast<int64_t>(dims[1]);
  auto write_block = [&](int64_t first, int64_t n, hid_t memory_type, const void* block) {
    const hsize_t start[2] = {static_cast<hsize_t>(first), 0};
    const hsize_t extent[2] = {static_cast<hsize_t>(n), dims[1]};
    H5Handle memory_space = io::space_handle(H5Screate_simple(2, extent, nullptr));
    if (!memory_space ||
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, extent, nullptr) <
            0 ||
        H5Dwrite(handle.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT,
                 block) < 0) {
      fail(fmt::format("{}: cannot write rows {}..{} of {}{}", path_, first, first + n - 1, name,
                       io::reason_suffix()));
    }
  };
  H5Handle stored = io::type_handle(H5Dget_type(handle.get()));
  if (stored && io::is_ieee_half(stored.get())) {
    // float16 is rounded here, not by HDF5 (see host/io/float16.h), a strip at a time; strips
    // are whole chunks so that no chunk is compressed twice.
    int64_t strip = std::max<int64_t>(1, (int64_t{1} << 20) / cols);
    const io::DatasetLayout layout = io::dataset_layout(handle.get());
    if (!layout.chunk.empty() && layout.chunk[0] > 0) {
      strip = std::max<int64_t>(1, strip / layout.chunk[0]) * layout.chunk[0];
    }
    std::vector<uint16_t> halves(static_cast<size_t>(std::min(strip, count) * cols));
    for (int64_t done = 0; done < count; done += strip) {
      const int64_t n = std::min(strip, count - done);
      floats_to_halves(data + done * cols, halves.data(), n * cols);
      write_block(begin + done, n, stored.get(), halves.data());
    }
  } else {
    write_block(begin, count, H5T_NATIVE_FLOAT, data);
  }
  if (!handle.reset()) {
    fail(fmt::format("{}: cannot write {}{}", path_, name, io::reason_suffix()));
  }
}

void H5Writer::write_int64_matrix(const std::string& dataset, const int64_t* data, int64_t rows,
                                  int64_t cols) {
  write_dataset(dataset, H5T_STD_I64LE, H5T_NATIVE_INT64, {rows, cols}, data);
}

void H5Writer::write_float32_matrix(const std::string& dataset, const float* data, int64_t rows,
                                    int64_t cols) {
  write_dataset(dataset, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {rows, cols}, data);
}

void H5Writer::write_attribute(const std::string& object, const std::string& name, int64_t type,
                               const void* value) {
  check_usable();
  const std::string target = io::normalize_path(object);
  if (io::object_kind(file_, target) == io::ObjectKind::missing) {
    throw std::invalid_argument(
        fmt::format("{}: no object {} to set attribute '{}' on", path_, target, name));
  }
  H5Handle handle = io::object_handle(H5Oopen(file_, target.c_str(), H5P_DEFAULT));
  if (!handle) fail(fmt::format("{}: cannot open {}{}", path_, target, io::reason_suffix()));
  // Setting an attribute again replaces it (H5Acreate refuses an existing name).
  if (H5Aexists(handle.get(), name.c_str()) > 0 && H5Adelete(handle.get(), name.c_str()) < 0) {
    fail(fmt::format("{}: cannot replace attribute '{}' of {}{}", path_, name, target,
                     io::reason_suffix()));
  }
  H5Handle space = io::space_handle(H5Screate(H5S_SCALAR));
  H5Handle attribute = io::attribute_handle(
      H5Acreate2(handle.get(), name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute || H5Awrite(attribute.get(), type, value) < 0 || !attribute.reset()) {
    fail(fmt::format("{}: cannot write attribute '{}' of {}{}", path_, name, target,
                     io::reason_suffix()));
  }
}

void H5Writer::set_attribute(const std::string& object, const std::string& name,
                             const std::string& value) {
  check_usable();
  H5Handle type = utf8_string_type();
  const char* pointer = value.c_str();
  write_attribute(object, name, type.get(), &pointer);
}

void H5Writer::set_attribute(const std::string& object, const std::string& name, double value) {
  write_attribute(object, name, H5T_NATIVE_DOUBLE, &value);
}

void H5Writer::set_attribute(const std::string& object, const std::string& name, int64_t value) {
  write_attribute(object, name, H5T_NATIVE_INT64, &value);
}

void H5Writer::commit() {
  check_usable();
  if (H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0) {
    fail(fmt::format("{}: cannot write{}", path_, io::reason_suffix()));
  }
  if (H5Fclose(file_) < 0) {
    fail(fmt::format("{}: cannot write{}", path_, io::reason_suffix()));
  }
  file_ = -1;
  // HDF5 leaves durability to the OS: sync before the rename so a crash cannot leave a
  // renamed but empty file.
  int fd = ::open(temp_path_.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    fail(fmt::format("{}: cannot write ({})", path_, std::strerror(error)));
  }
  ::close(fd);
  struct stat st {};
  if (!overwrite_ && ::stat(path_.c_str(), &st) == 0) {
    // Someone created it while we were writing: do not clobber it.
    discard();
    failed_ = true;
    throw InputError(fmt::format("{}: exists (use --overwrite)", path_));
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    fail(fmt::format("{}: cannot rename {} to it ({})", path_, temp_path_, std::strerror(errno)));
  }
  committed_ = true;
  sync_folder(folder_of(path_));  // the rename itself survives a crash
}

}  // namespace unfriend
