// Internal to host/io: opening existing files read-only with one-line diagnoses, and asking
// whether an object exists at a path whose parents may be missing.
#pragma once

#include <string>

#include "host/io/h5_handle.h"

namespace unfriend::io {

/// Opens `file` read-only (the input is never modified). Throws InputError "FILE: fault" for a
/// missing file, a folder, an unreadable file, a file that is not HDF5, and a truncated or
/// corrupt HDF5 file.
H5Handle open_for_reading(const std::string& file);

/// What sits at a path inside a file.
enum class ObjectKind { missing, group, dataset, named_type, other };

/// The kind of the object at `path` ("/a/b/c" or "a/b/c", relative to the root). Works when
/// parents are missing (each link is checked in turn) and for dangling soft links (missing).
ObjectKind object_kind(hid_t file, const std::string& path);

/// "/a/b" for "a//b/": the canonical spelling used in messages.
std::string normalize_path(const std::string& path);

}  // namespace unfriend::io
