// Files that are either complete under their final name or absent: written to a temporary name
// in the same folder, synced, renamed, and the folder synced, so neither a kill nor a power cut
// leaves a half-written file behind. Used for the JSON summary, the checkpoint files and the
// HDF5 writer's commit (h5_writer.h).
#pragma once

#include <string>

namespace unfriend {

/// Writes `bytes` to "<path>.tmp-<pid>" and syncs it to disk; returns that temporary path.
/// RuntimeFailure naming `path` and the reason ("no space left on device") when it cannot be
/// written; the temporary file is removed then.
std::string write_synced_temp(const std::string& path, const std::string& bytes);

/// Renames `temp` to `path` and syncs the folder so that the rename survives a crash.
/// RuntimeFailure naming `path` when the rename fails (the temporary file is removed then).
void rename_synced(const std::string& temp, const std::string& path);

/// write_synced_temp, then rename_synced.
void write_file_durably(const std::string& path, const std::string& bytes);

/// The folder holding `path` ("." for a bare file name).
std::string folder_of(const std::string& path);

/// fsync of a folder (best effort: some filesystems cannot sync folders).
void sync_folder(const std::string& folder);

/// A short reason for a failed write: "no space left on device" for ENOSPC, and the same words
/// for a disk quota or a file-size limit (EDQUOT, EFBIG); strerror otherwise.
std::string write_error_reason(int error);

}  // namespace unfriend
