#include "host/io/action_log.h"

#include <fmt/format.h>

#include <algorithm>

#include "host/core/error.h"
#include "host/io/h5_handle.h"
#include "host/io/h5_open.h"
#include "host/io/h5_types.h"

namespace unfriend {

using io::H5Handle;

std::string action_kind_name(int32_t code) {
  switch (code) {
    case 0:
      return "view";
    case 1:
      return "like";
    case 2:
      return "comment";
    case 3:
      return "share";
    case 4:
      return "report";
    default:
      return fmt::format("kind {}", code);
  }
}

namespace {

// Opens one column of the log and checks it: 1-D, integers of at most 8 bytes.
H5Handle open_column(hid_t file, const std::string& file_name, const std::string& path,
                     int64_t& rows, int64_t& chunk_rows) {
  switch (io::object_kind(file, path)) {
    case io::ObjectKind::dataset:
      break;
    case io::ObjectKind::missing:
      throw InputError(
          fmt::format("{}: missing dataset {} (an action log needs /actions/account, "
                      "/actions/target and /actions/time)",
                      file_name, path));
    default:
      throw InputError(fmt::format("{}: {} is not a dataset", file_name, path));
  }
  H5Handle dataset = io::dataset_handle(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  if (!dataset) {
    throw InputError(fmt::format("{}: cannot open {}{}", file_name, path, io::reason_suffix()));
  }
  const io::DatasetLayout layout = io::dataset_layout(dataset.get());
  const size_t rank = layout.null_space ? 0 : layout.shape.size();
  if (rank != 1) {
    throw InputError(fmt::format("{}: {} has rank {}, expected 1", file_name, path, rank));
  }
  H5Handle type = io::type_handle(H5Dget_type(dataset.get()));
  if (!type || H5Tget_class(type.get()) != H5T_INTEGER) {
    throw InputError(fmt::format("{}: {} has {} type {}, expected integers", file_name, path,
                                 type ? io::type_class_word(type.get()) : "unknown",
                                 type ? io::type_name(type.get()) : "?"));
  }
  if (H5Tget_size(type.get()) > 8 ||
      (H5Tget_size(type.get()) == 8 && H5Tget_sign(type.get()) == H5T_SGN_NONE)) {
    throw InputError(fmt::format("{}: {} has type {}, expected at most int64", file_name, path,
                                 io::type_name(type.get())));
  }
  for (const io::FilterInfo& filter : layout.filters) {
    if (!filter.available) {
      throw InputError(fmt::format("{}: {} needs the {} filter, which this HDF5 cannot decode",
                                   file_name, path, filter.name));
    }
  }
  rows = layout.shape[0];
  chunk_rows = layout.chunk.empty() ? 0 : layout.chunk[0];
  return dataset;
}

template <typename T>
void read_column(hid_t dataset, hid_t memory_type, int64_t begin, int64_t count,
                 std::vector<T>& out, const std::string& file, const char* path) {
  out.resize(static_cast<size_t>(count));
  if (count == 0) return;
  const hsize_t start[1] = {static_cast<hsize_t>(begin)};
  const hsize_t extent[1] = {static_cast<hsize_t>(count)};
  H5Handle file_space = io::space_handle(H5Dget_space(dataset));
  H5Handle memory_space = io::space_handle(H5Screate_simple(1, extent, nullptr));
  if (!file_space || !memory_space ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, extent, nullptr) < 0 ||
      H5Dread(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, out.data()) <
          0) {
    throw InputError(fmt::format("{}: cannot read rows {}..{} of {}{}", file, begin,
                                 begin + count - 1, path, io::reason_suffix()));
  }
}

}  // namespace

ActionLogReader::ActionLogReader(const std::string& path) {
  io::silence_hdf5_errors();
  info_.file = path;
  H5Handle file = io::open_for_reading(path);
  int64_t rows[4] = {0, 0, 0, 0};
  int64_t chunk = 0, unused = 0;
  H5Handle account = open_column(file.get(), path, "/actions/account", rows[0], chunk);
  H5Handle target = open_column(file.get(), path, "/actions/target", rows[1], unused);
  H5Handle time = open_column(file.get(), path, "/actions/time", rows[2], unused);
  H5Handle kind;
  if (io::object_kind(file.get(), "/actions/kind") != io::ObjectKind::missing) {
    kind = open_column(file.get(), path, "/actions/kind", rows[3], unused);
    info_.has_kind = true;
  }
  const char* names[4] = {"/actions/account", "/actions/target", "/actions/time", "/actions/kind"};
  for (int c = 1; c < (info_.has_kind ? 4 : 3); ++c) {
    if (rows[c] != rows[0]) {
      throw InputError(
          fmt::format("{}: {} has {} rows but {} has {}: the columns of an action "
                      "log must have equal lengths",
                      path, names[c], rows[c], names[0], rows[0]));
    }
  }
  if (rows[0] == 0) throw InputError(fmt::format("{}: the action log is empty (0 actions)", path));
  info_.rows = rows[0];
  info_.chunk_rows = chunk;
  file_ = file.release();
  account_ = account.release();
  target_ = target.release();
  time_ = time.release();
  kind_ = kind.valid() ? kind.release() : -1;
}

ActionLogReader::~ActionLogReader() {
  for (int64_t id : {kind_, time_, target_, account_}) {
    if (id >= 0) H5Dclose(id);
  }
  if (file_ >= 0) H5Fclose(file_);
}

void ActionLogReader::read_block(int64_t begin, int64_t count, ActionBlock& block) const {
  io::silence_hdf5_errors();
  const std::string& f = info_.file;
  block.begin = begin;
  read_column(account_, H5T_NATIVE_INT64, begin, count, block.account, f, "/actions/account");
  read_column(target_, H5T_NATIVE_INT64, begin, count, block.target, f, "/actions/target");
  read_column(time_, H5T_NATIVE_INT64, begin, count, block.time, f, "/actions/time");
  if (kind_ >= 0) {
    read_column(kind_, H5T_NATIVE_INT32, begin, count, block.kind, f, "/actions/kind");
  } else {
    block.kind.assign(static_cast<size_t>(count), 0);
  }
  for (int64_t i = 0; i < count; ++i) {
    const size_t r = static_cast<size_t>(i);
    const int64_t t = block.time[r];
    if (t < 0 || t > kMaxActionTime) {
      throw InputError(
          fmt::format("{}: /actions/time row {} is {}, outside [0, {}] (Unix seconds "
                      "up to the year 3000)",
                      f, begin + i, t, kMaxActionTime));
    }
    if (block.target[r] < 0) {
      throw InputError(fmt::format("{}: /actions/target row {} is negative ({})", f, begin + i,
                                   block.target[r]));
    }
    if (block.kind[r] < 0) {
      throw InputError(
          fmt::format("{}: /actions/kind row {} is negative ({})", f, begin + i, block.kind[r]));
    }
  }
}

void ActionLogReader::for_each_block(int64_t block_rows,
                                     const std::function<void(const ActionBlock&)>& fn) const {
  int64_t step = std::max<int64_t>(1, block_rows);
  if (info_.chunk_rows > 0)
    step = std::max(info_.chunk_rows, step / info_.chunk_rows * info_.chunk_rows);
  ActionBlock block;
  for (int64_t begin = 0; begin < info_.rows; begin += step) {
    read_block(begin, std::min(step, info_.rows - begin), block);
    fn(block);
  }
}

bool is_action_log(const std::string& path) {
  io::silence_hdf5_errors();
  H5Handle file = io::open_for_reading(path);
  return io::object_kind(file.get(), "/actions/account") == io::ObjectKind::dataset;
}

}  // namespace unfriend
