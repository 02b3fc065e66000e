#include "host/io/h5_handle.h"

#include <string>

namespace unfriend::io {

void silence_hdf5_errors() {
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

namespace {

struct InnermostError {
  std::string description;
  std::string minor;
  bool found = false;
};

herr_t take_innermost(unsigned n, const H5E_error2_t* error, void* client) {
  auto* out = static_cast<InnermostError*>(client);
  // Walking upward, entry 0 is where the failure was first detected: the most specific one.
  if (n == 0 && error != nullptr) {
    out->found = true;
    if (error->desc != nullptr) out->description = error->desc;
    char minor[256] = {0};
    if (H5Eget_msg(error->min_num, nullptr, minor, sizeof(minor)) > 0) out->minor = minor;
  }
  return 0;
}

std::string one_line(std::string text, size_t max_chars) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  size_t begin = text.find_first_not_of(' ');
  size_t end = text.find_last_not_of(' ');
  text = begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
  if (text.size() > max_chars) text = text.substr(0, max_chars - 3) + "...";
  return text;
}

}  // namespace

std::string hdf5_error_reason() {
  InnermostError innermost;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &innermost);
  H5Eclear2(H5E_DEFAULT);
  if (!innermost.found) return std::string();
  std::string text = innermost.description;
  // The POSIX driver reports "... errno = 28, error message = 'No space left on device', ...":
  // the quoted part is what a person needs.
  const std::string marker = "error message = '";
  size_t at = text.find(marker);
  if (at != std::string::npos) {
    size_t start = at + marker.size();
    size_t stop = text.find('\'', start);
    text = text.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
  }
  if (text.empty()) text = innermost.minor;
  return one_line(text, 160);
}

std::string reason_suffix() {
  std::string reason = hdf5_error_reason();
  return reason.empty() ? std::string() : " (" + reason + ")";
}

}  // namespace unfriend::io
