// What identifies a file on disk cheaply (device, inode, size, modification time): taken when
// an input is opened and compared again before results are written, so that an input replaced
// or rewritten while a sweep reads it is refused instead of giving labels of two files at once.
#pragma once

#include <cstdint>
#include <string>

namespace unfriend {

struct FileStamp {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size_bytes = 0;
  int64_t mtime_ns = 0;
};

/// The stamp of `path` now; InputError naming the file when it cannot be read.
FileStamp file_stamp(const std::string& path);

/// "" when equal, else what changed ("replaced", "size 10 -> 12 bytes", "modified").
std::string stamp_change(const FileStamp& before, const FileStamp& now);

/// InputError "PATH: changed while the sweep ran (WHAT); nothing was written" when the file
/// no longer has `before`'s stamp (or is gone).
void check_unchanged(const std::string& path, const FileStamp& before);

}  // namespace unfriend
