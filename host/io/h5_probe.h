// A first look at an input file in a child process. libhdf5 (1.10) can crash outright on some
// damaged files (a segfault or a division by zero inside its metadata code, found by fuzzing);
// no exception can catch that in-process. The CLI therefore opens the file once in a forked
// child first, and a child killed by a signal becomes an ordinary one-line input error.
#pragma once

#include <string>

namespace unfriend {

/// Opens `file` with FeatureReader in a child process and reads its first and last rows.
/// Returns normally when the child finished (whether or not the file is valid: the caller's
/// own open reports validation errors); throws InputError "FILE: corrupt HDF5 file ..." when
/// the child was killed by a signal. Call before any threads are started.
void probe_input_in_child(const std::string& file, const std::string& features_path,
                          const std::string& ids_path);

}  // namespace unfriend
