#include "host/report/output_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "host/core/error.h"
#include "host/io/durable_file.h"

namespace unfriend {

void check_text_output(const std::string& path, bool overwrite, const std::string& input) {
  namespace fs = std::filesystem;
  if (path.empty()) throw InputError("output path is empty");
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (fs::is_directory(status)) {
    throw InputError(fmt::format("{}: cannot create output (it is a folder)", path));
  }
  if (fs::exists(status)) {
    if (fs::equivalent(path, input, error)) {
      throw InputError(fmt::format("{}: the output would replace the input", path));
    }
    if (!overwrite) throw InputError(fmt::format("{}: exists (use --overwrite)", path));
  }
  fs::path folder = fs::path(path).parent_path();
  if (folder.empty()) folder = ".";
  if (!fs::is_directory(folder, error)) {
    throw InputError(
        fmt::format("{}: cannot create output (folder {} does not exist)", path, folder.string()));
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    throw InputError(
        fmt::format("{}: cannot create output (folder {} is not writable)", path, folder.string()));
  }
}

void write_text_output(const std::string& path, const std::string& bytes) {
  write_file_durably(path, bytes);
}

}  // namespace unfriend
