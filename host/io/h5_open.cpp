#include "host/io/h5_open.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "host/core/error.h"

namespace unfriend::io {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : path) {
    if (c == '/') {
      if (!current.empty()) parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) parts.push_back(current);
  return parts;
}

}  // namespace

std::string normalize_path(const std::string& path) {
  std::string out;
  for (const std::string& part : split_path(path)) out += "/" + part;
  return out.empty() ? std::string("/") : out;
}

H5Handle open_for_reading(const std::string& file) {
  silence_hdf5_errors();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      throw InputError(fmt::format("{}: no such file", file));
    throw InputError(fmt::format("{}: cannot open ({})", file, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) throw InputError(fmt::format("{}: is a folder, not a file", file));
  // HDF5 needs to seek; a pipe or device would also block the probe below.
  if (!S_ISREG(st.st_mode)) throw InputError(fmt::format("{}: not a regular file", file));
  // Probe with a plain open first: HDF5 reports "unable to open file" for every cause alike.
  int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) throw InputError(fmt::format("{}: cannot open ({})", file, std::strerror(errno)));
  ::close(fd);

  htri_t is_hdf5 = H5Fis_hdf5(file.c_str());
  if (is_hdf5 <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(fmt::format("{}: not an HDF5 file", file));
  }
  H5Handle fapl = plist_handle(H5Pcreate(H5P_FILE_ACCESS));
  // Shared locks guard against a concurrent writer, but some filesystems (NFS, read-only
  // mounts) cannot lock; reading must still work there.
  H5Pset_file_locking(fapl.get(), true, true);
  // The close degree stays the default: HDF5 refuses to open a file twice with different
  // degrees, and other code in the process may open the same input with H5P_DEFAULT.
  H5Handle handle = file_handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!handle) {
    throw InputError(fmt::format("{}: truncated or corrupt HDF5 file{}", file, reason_suffix()));
  }
  return handle;
}

ObjectKind object_kind(hid_t file, const std::string& path) {
  silence_hdf5_errors();
  std::vector<std::string> parts = split_path(path);
  if (parts.empty()) return ObjectKind::group;
  std::string prefix;
  for (const std::string& part : parts) {
    prefix += "/" + part;
    // H5Lexists fails (rather than answering false) when an intermediate link is missing,
    // hence the walk one link at a time.
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return ObjectKind::missing;
    }
    if (H5Oexists_by_name(file, prefix.c_str(), H5P_DEFAULT) <= 0) {  // dangling soft link
      H5Eclear2(H5E_DEFAULT);
      return ObjectKind::missing;
    }
  }
  H5O_info_t info{};
  if (H5Oget_info_by_name2(file, prefix.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return ObjectKind::missing;
  }
  switch (info.type) {
    case H5O_TYPE_GROUP:
      return ObjectKind::group;
    case H5O_TYPE_DATASET:
      return ObjectKind::dataset;
    case H5O_TYPE_NAMED_DATATYPE:
      return ObjectKind::named_type;
    default:
      return ObjectKind::other;
  }
}

}  // namespace unfriend::io
