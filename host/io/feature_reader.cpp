// FeatureReader: validation on open, bounded block reads, id checks.
#include "host/io/feature_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

#include "host/core/error.h"
#include "host/io/float16.h"
#include "host/io/h5_handle.h"
#include "host/io/h5_open.h"
#include "host/io/h5_types.h"

namespace unfriend {

using io::H5Handle;

namespace {

// Chunk cache per dataset: large enough for one full row-stripe of chunks, so a block read
// that covers only part of a chunk's rows does not decompress that chunk again on the next
// block; capped so that odd chunk shapes cannot take much memory.
constexpr int64_t kMinChunkCacheBytes = int64_t{1} << 20;
constexpr int64_t kMaxChunkCacheBytes = int64_t{256} << 20;

H5Handle open_features_dataset(hid_t file, const InputInfo& info, const io::DatasetLayout& layout,
                               size_t element_bytes) {
  H5Handle dapl = io::plist_handle(H5Pcreate(H5P_DATASET_ACCESS));
  if (!layout.chunk.empty()) {
    // In double: a hostile header's chunk and row extents would overflow int64 here.
    double chunk_bytes = static_cast<double>(element_bytes);
    for (int64_t extent : layout.chunk) chunk_bytes *= static_cast<double>(extent);
    const int64_t chunk_cols = layout.chunk.size() > 1 ? std::max<int64_t>(1, layout.chunk[1]) : 1;
    const double stripe = chunk_bytes * static_cast<double>((info.cols - 1) / chunk_cols + 1);
    const auto bytes = static_cast<int64_t>(
        std::clamp(2 * stripe, double(kMinChunkCacheBytes), double(kMaxChunkCacheBytes)));
    // w0 = 1: a chunk read completely is evicted first; block reads never come back to it.
    H5Pset_chunk_cache(dapl.get(), 10007, static_cast<size_t>(bytes), 1.0);
  }
  return io::dataset_handle(H5Dopen2(file, info.features_path.c_str(), dapl.get()));
}

// HDF5 1.10 copies a dataset's whole extent out of its contiguous or compact storage without
// checking that the storage is that large: a damaged layout message becomes a heap over-read
// inside the library. Refuse the mismatch up front. Unallocated contiguous storage (0 bytes)
// reads as the fill value and is fine; compact data always lives in the header.
void check_stored_bytes(hid_t dataset, const io::DatasetLayout& layout, int64_t values,
                        size_t element_bytes, const std::string& file, const std::string& name) {
  if (layout.storage != "contiguous" && layout.storage != "compact") return;
  const double needed = static_cast<double>(values) * static_cast<double>(element_bytes);
  const hsize_t stored = H5Dget_storage_size(dataset);
  if ((stored != 0 || layout.storage == "compact") && static_cast<double>(stored) < needed) {
    throw InputError(fmt::format("{}: {} stores {} bytes of {} data, its shape needs {:.0f}", file,
                                 name, stored, layout.storage, needed));
  }
}

}  // namespace

FeatureReader::FeatureReader(const std::string& file, const std::string& features_path,
                             const std::string& ids_path) {
  io::silence_hdf5_errors();
  info_.file = file;
  info_.features_path = io::normalize_path(features_path);
  info_.ids_path = ids_path.empty() ? std::string() : io::normalize_path(ids_path);
  H5Handle handle = io::open_for_reading(file);
  const hid_t f = handle.get();
  const std::string& features = info_.features_path;

  switch (io::object_kind(f, features)) {
    case io::ObjectKind::missing:
      throw InputError(fmt::format("{}: missing features dataset {}", file, features));
    case io::ObjectKind::dataset:
      break;
    case io::ObjectKind::group:
      throw InputError(
          fmt::format("{}: {} is a group, expected the features dataset", file, features));
    default:
      throw InputError(fmt::format("{}: {} is not a dataset", file, features));
  }
  H5Handle probe = io::dataset_handle(H5Dopen2(f, features.c_str(), H5P_DEFAULT));
  if (!probe) {
    throw InputError(fmt::format("{}: cannot open {}{}", file, features, io::reason_suffix()));
  }
  const io::DatasetLayout layout = io::dataset_layout(probe.get());
  H5Handle type = io::type_handle(H5Dget_type(probe.get()));
  if (!type) {
    throw InputError(
        fmt::format("{}: cannot read the type of {}{}", file, features, io::reason_suffix()));
  }
  if (layout.null_space) {
    throw InputError(fmt::format("{}: {} is an empty dataset (no dataspace)", file, features));
  }
  if (layout.shape.size() != 2) {
    throw InputError(fmt::format("{}: {} has rank {}, expected 2 (rows x features)", file, features,
                                 layout.shape.size()));
  }
  if (H5Tget_class(type.get()) != H5T_FLOAT) {
    throw InputError(fmt::format("{}: {} has {} type {}, expected float16, float32 or float64",
                                 file, features, io::type_class_word(type.get()),
                                 io::type_name(type.get())));
  }
  // HDF5 sizes its conversion buffers by the stored element size: a corrupt type of 2 GiB per
  // element would make a ten-row read allocate gigabytes. Only the documented widths are read.
  const size_t float_bytes = H5Tget_size(type.get());
  if (float_bytes != 2 && float_bytes != 4 && float_bytes != 8) {
    throw InputError(
        fmt::format("{}: {} has a {}-byte float type, expected float16, float32 or float64", file,
                    features, float_bytes));
  }
  info_.rows = layout.shape[0];
  info_.cols = layout.shape[1];
  // A damaged or hostile header can declare extents past 2^63 (negative here) or a product
  // that overflows: refuse them now, before any size computed from them reaches an allocation.
  if (info_.rows < 0 || info_.cols < 0 ||
      (info_.cols > 0 && info_.rows > std::numeric_limits<int64_t>::max() / info_.cols)) {
    throw InputError(fmt::format("{}: {} declares {} x {} values, more than any file can hold",
                                 file, features, static_cast<uint64_t>(layout.shape[0]),
                                 static_cast<uint64_t>(layout.shape[1])));
  }
  if (info_.rows == 0) {
    throw InputError(fmt::format("{}: {} is an empty dataset (0 rows)", file, features));
  }
  check_stored_bytes(probe.get(), layout, info_.rows * info_.cols, float_bytes, file, features);
  if (info_.cols == 0) {
    throw InputError(fmt::format("{}: {} has 0 columns (D = 0)", file, features));
  }
  for (const io::FilterInfo& filter : layout.filters) {
    if (!filter.available) {
      const bool named = filter.name != fmt::format("filter {}", filter.id);
      throw InputError(fmt::format(
          "{}: {} needs HDF5 filter {}, which this HDF5 library cannot decode", file, features,
          named ? fmt::format("{} (id {})", filter.name, filter.id) : std::to_string(filter.id)));
    }
  }
  info_.dtype = io::type_name(type.get());
  stored_half_ = io::is_ieee_half(type.get());
  info_.chunk = layout.chunk;
  info_.compression = io::filters_string(layout.filters);
  probe.reset();

  H5Handle dataset = open_features_dataset(f, info_, layout, H5Tget_size(type.get()));
  if (!dataset) {
    throw InputError(fmt::format("{}: cannot open {}{}", file, features, io::reason_suffix()));
  }

  H5Handle ids;
  if (!info_.ids_path.empty()) {
    const std::string& id_name = info_.ids_path;
    switch (io::object_kind(f, id_name)) {
      case io::ObjectKind::missing:
        break;  // no ids: accounts are known by their row index
      case io::ObjectKind::dataset: {
        ids = io::dataset_handle(H5Dopen2(f, id_name.c_str(), H5P_DEFAULT));
        if (!ids) {
          throw InputError(fmt::format("{}: cannot open {}{}", file, id_name, io::reason_suffix()));
        }
        const io::DatasetLayout id_layout = io::dataset_layout(ids.get());
        H5Handle id_type = io::type_handle(H5Dget_type(ids.get()));
        const size_t rank = id_layout.null_space ? 0 : id_layout.shape.size();
        if (rank != 1) {
          throw InputError(
              fmt::format("{}: ids dataset {} has rank {}, expected 1", file, id_name, rank));
        }
        if (!id_type || H5Tget_class(id_type.get()) != H5T_INTEGER) {
          throw InputError(fmt::format("{}: ids dataset {} has {} type {}, expected integers", file,
                                       id_name,
                                       id_type ? io::type_class_word(id_type.get()) : "unknown",
                                       id_type ? io::type_name(id_type.get()) : "?"));
        }
        const size_t id_bytes = H5Tget_size(id_type.get());
        if (id_bytes < 1 || id_bytes > 8) {
          throw InputError(
              fmt::format("{}: ids dataset {} has a {}-byte integer type, expected at "
                          "most 8 bytes (int64)",
                          file, id_name, id_bytes));
        }
        if (id_layout.shape[0] != info_.rows) {
          throw InputError(fmt::format("{}: {} has {} ids but {} has {} rows", file, id_name,
                                       id_layout.shape[0], features, info_.rows));
        }
        check_stored_bytes(ids.get(), id_layout, info_.rows, id_bytes, file, id_name);
        info_.has_ids = true;
        break;
      }
      default:
        throw InputError(
            fmt::format("{}: {} is not a dataset, expected the account ids", file, id_name));
    }
  }

  file_ = handle.release();
  features_ = dataset.release();
  ids_ = ids.release();
}

FeatureReader::~FeatureReader() {
  if (ids_ >= 0) H5Dclose(ids_);
  if (features_ >= 0) H5Dclose(features_);
  if (file_ >= 0) H5Fclose(file_);
}

void FeatureReader::read_rows(int64_t begin, int64_t count, float* out) const {
  io::silence_hdf5_errors();
  if (begin < 0 || count < 0 || begin + count > info_.rows) {
    throw std::out_of_range(fmt::format("{}: rows [{}, {}) requested, {} has {} rows", info_.file,
                                        begin, begin + count, info_.features_path, info_.rows));
  }
  if (count == 0) return;
  const hsize_t start[2] = {static_cast<hsize_t>(begin), 0};
  const hsize_t extent[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(info_.cols)};
  H5Handle file_space = io::space_handle(H5Dget_space(features_));
  H5Handle memory_space = io::space_handle(H5Screate_simple(2, extent, nullptr));
  // H5Dread converts float32/float64 to float32 on the way; float16 comes in raw (into the
  // first half of `out`) and is widened in place below.
  H5Handle half_type;
  if (stored_half_) half_type = io::type_handle(H5Dget_type(features_));
  const hid_t memory_type = stored_half_ ? half_type.get() : H5T_NATIVE_FLOAT;
  if (!file_space || !memory_space || memory_type < 0 ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, extent, nullptr) < 0 ||
      H5Dread(features_, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
    throw InputError(fmt::format("{}: cannot read rows {}..{} of {}{}", info_.file, begin,
                                 begin + count - 1, info_.features_path, io::reason_suffix()));
  }
  if (stored_half_) widen_halves_in_place(out, count * info_.cols);
  // NaN and Inf come back as they are: the sweep decides (--on-invalid) what to do with them.
}

std::vector<int64_t> FeatureReader::read_ids() const {
  io::silence_hdf5_errors();
  std::vector<int64_t> ids(static_cast<size_t>(info_.rows));
  if (!info_.has_ids) {
    std::iota(ids.begin(), ids.end(), int64_t{0});
    return ids;
  }
  H5Handle type = io::type_handle(H5Dget_type(ids_));
  const bool unsigned64 =
      type && H5Tget_sign(type.get()) == H5T_SGN_NONE && H5Tget_size(type.get()) >= 8;
  const std::string read_error = fmt::format("{}: cannot read {}", info_.file, info_.ids_path);
  if (unsigned64) {
    // Converting to int64 would silently clip ids above 2^63 - 1 into false duplicates.
    std::vector<uint64_t> raw(ids.size());
    if (H5Dread(ids_, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) {
      throw InputError(read_error + io::reason_suffix());
    }
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        throw InputError(fmt::format("{}: id {} in row {} of {} does not fit in int64", info_.file,
                                     raw[i], i, info_.ids_path));
      }
      ids[i] = static_cast<int64_t>(raw[i]);
    }
  } else if (H5Dread(ids_, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids.data()) < 0) {
    throw InputError(read_error + io::reason_suffix());
  }

  // Sorting a copy finds whether any id repeats with 8 bytes a row; only when one does, a
  // second pass in row order names the first repeat (the smallest second row) exactly.
  std::vector<int64_t> sorted(ids);
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> repeated;
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i] == sorted[i - 1] && (repeated.empty() || repeated.back() != sorted[i])) {
      repeated.push_back(sorted[i]);
    }
  }
  if (repeated.empty()) return ids;
  std::unordered_map<int64_t, int64_t> first_row;
  for (size_t row = 0; row < ids.size(); ++row) {
    if (!std::binary_search(repeated.begin(), repeated.end(), ids[row])) continue;
    auto [at, inserted] = first_row.emplace(ids[row], static_cast<int64_t>(row));
    if (!inserted) {
      throw InputError(fmt::format("{}: {} repeats id {} (rows {} and {}; {} ids repeat)",
                                   info_.file, info_.ids_path, ids[row], at->second, row,
                                   repeated.size()));
    }
  }
  return ids;  // unreachable: some id repeats
}

int64_t FeatureReader::suggested_block_rows(int64_t target_bytes) const {
  const int64_t row_bytes = std::max<int64_t>(1, info_.cols) * static_cast<int64_t>(sizeof(float));
  int64_t rows = std::max<int64_t>(1, target_bytes / row_bytes);
  if (!info_.chunk.empty() && info_.chunk[0] > 0) {
    const int64_t chunk_rows = info_.chunk[0];
    // Round to the nearest whole number of chunks, never below one chunk.
    const int64_t chunks = std::max<int64_t>(1, (rows + chunk_rows / 2) / chunk_rows);
    rows = chunks * chunk_rows;
  }
  return std::max<int64_t>(1, std::min(rows, info_.rows));
}

}  // namespace unfriend
