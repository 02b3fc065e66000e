#include "host/io/durable_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "host/core/error.h"

namespace unfriend {

std::string folder_of(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

std::string write_error_reason(int error) {
  switch (error) {
    case ENOSPC:
      return "no space left on device";
    case EDQUOT:
      return "no space left on device (disk quota exceeded)";
    // A file-size limit (ulimit -f) reads as a full disk to the writer: say so in the same words.
    case EFBIG:
      return "no space left on device (file size limit reached)";
    default:
      return std::strerror(error);
  }
}

std::string write_synced_temp(const std::string& path, const std::string& bytes) {
  const std::string temp = fmt::format("{}.tmp-{}", path, ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw RuntimeFailure(fmt::format("{}: cannot write ({})", path, write_error_reason(errno)));
  }
  auto fail = [&](int error) {
    ::close(fd);
    std::remove(temp.c_str());
    throw RuntimeFailure(fmt::format("{}: cannot write ({})", path, write_error_reason(error)));
  };
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno);
    }
    if (n == 0) fail(ENOSPC);
    written += static_cast<size_t>(n);
  }
  // Data that only reached the page cache can still fail to reach the disk (ENOSPC on a
  // filesystem that allocates late): fsync reports it here, before the rename.
  if (::fsync(fd) != 0) fail(errno);
  if (::close(fd) != 0) {
    const int error = errno;
    std::remove(temp.c_str());
    throw RuntimeFailure(fmt::format("{}: cannot write ({})", path, write_error_reason(error)));
  }
  return temp;
}

void rename_synced(const std::string& temp, const std::string& path) {
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temp.c_str());
    throw RuntimeFailure(
        fmt::format("{}: cannot rename {} to it ({})", path, temp, write_error_reason(error)));
  }
  sync_folder(folder_of(path));
}

void write_file_durably(const std::string& path, const std::string& bytes) {
  rename_synced(write_synced_temp(path, bytes), path);
}

void sync_folder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace unfriend
