// Text outputs of the read-only commands (report HTML, export CSV/JSONL): checked up front
// like every other output (an existing file is refused without --overwrite, a missing folder
// is named), then written under a temporary name, synced and renamed (host/pipeline/
// durable_file.h), so that a reader never sees half a report.
#pragma once

#include <string>

namespace unfriend {

/// Throws InputError "PATH: ..." when `path` exists and `overwrite` is false, is a folder, is
/// the same file as `input`, or its folder is missing or not writable.
void check_text_output(const std::string& path, bool overwrite, const std::string& input);

/// Writes `bytes` durably to `path` (temporary name, fsync, rename). RuntimeFailure naming the
/// file when it cannot be written (e.g. no space left on device).
void write_text_output(const std::string& path, const std::string& bytes);

}  // namespace unfriend
