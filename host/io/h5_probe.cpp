#include "host/io/h5_probe.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <vector>

#include "host/core/error.h"
#include "host/io/feature_reader.h"

namespace unfriend {

void probe_input_in_child(const std::string& file, const std::string& features_path,
                          const std::string& ids_path) {
  pid_t child = ::fork();
  if (child < 0) return;  // no child to spare: the in-process open still validates
  if (child == 0) {
    int code = 0;
    try {
      FeatureReader reader(file, features_path, ids_path);
      const InputInfo& info = reader.info();
      // The first and last rows touch the first and last chunks and the layout metadata.
      const int64_t rows = std::min<int64_t>(info.rows, 16);
      if (info.cols > 0 && info.cols <= (1 << 20)) {
        std::vector<float> block(static_cast<size_t>(rows * info.cols));
        reader.read_rows(0, rows, block.data());
        reader.read_rows(info.rows - rows, rows, block.data());
      }
    } catch (...) {
      code = 2;  // an ordinary error: the parent's own open reports it
    }
    std::_Exit(code);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return;
  }
  if (WIFSIGNALED(status)) {
    int signal = WTERMSIG(status);
    throw InputError(
        fmt::format("{}: corrupt HDF5 file: the HDF5 library crashed reading its metadata ({})",
                    file, strsignal(signal)));
  }
  // The child only ever exits 0 or 2 by itself; any other status is a crash that a handler
  // turned into an exit (a sanitizer's, for one), and the in-process open would crash the same.
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 2) {
    throw InputError(fmt::format(
        "{}: corrupt HDF5 file: the HDF5 library crashed reading its metadata (exit status {})",
        file, WEXITSTATUS(status)));
  }
}

}  // namespace unfriend
