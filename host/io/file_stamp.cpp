#include "host/io/file_stamp.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "host/core/error.h"

namespace unfriend {

FileStamp file_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw InputError(fmt::format("{}: cannot stat ({})", path, std::strerror(errno)));
  }
  FileStamp s;
  s.device = static_cast<uint64_t>(st.st_dev);
  s.inode = static_cast<uint64_t>(st.st_ino);
  s.size_bytes = static_cast<int64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return s;
}

std::string stamp_change(const FileStamp& before, const FileStamp& now) {
  if (before.device != now.device || before.inode != now.inode) return "replaced by another file";
  if (before.size_bytes != now.size_bytes) {
    return fmt::format("size {} -> {} bytes", before.size_bytes, now.size_bytes);
  }
  if (before.mtime_ns != now.mtime_ns) return "modified";
  return "";
}

void check_unchanged(const std::string& path, const FileStamp& before) {
  std::string change;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    change = fmt::format("gone: {}", std::strerror(errno));
  } else {
    change = stamp_change(before, file_stamp(path));
  }
  if (!change.empty()) {
    throw InputError(
        fmt::format("{}: changed while the sweep ran ({}); nothing was written", path, change));
  }
}

}  // namespace unfriend
