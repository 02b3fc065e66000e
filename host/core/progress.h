// Progress lines with rate and ETA on stderr for long stages.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace unfriend {

/// Global switch: --quiet silences progress and info logs (errors are always printed).
void set_quiet(bool quiet);
bool is_quiet();

/// Prints "stage: done/total unit (rate/s, ETA)" to stderr at most once a second, and a final
/// line with the total time when finished. Thread-compatible: call advance() from one thread.
class Progress {
 public:
  Progress(std::string stage, int64_t total, std::string unit = "rows");
  ~Progress();
  void advance(int64_t count);
  void finish();
  double elapsed_seconds() const;

 private:
  void print(bool final_line);
  std::string stage_;
  std::string unit_;
  int64_t total_;
  int64_t done_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

/// One informational line on stderr ("unfriend: ..."), suppressed by --quiet.
void log_info(const std::string& message);
/// One warning line on stderr, never suppressed.
void log_warning(const std::string& message);

}  // namespace unfriend
