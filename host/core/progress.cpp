#include "host/core/progress.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdio>

namespace unfriend {

namespace {
std::atomic<bool> g_quiet{false};

std::string format_duration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{:02}s", int(seconds) / 60, int(seconds) % 60);
  return fmt::format("{}h{:02}m", int(seconds) / 3600, (int(seconds) % 3600) / 60);
}

std::string format_count(double value) {
  if (value >= 1e9) return fmt::format("{:.2f}G", value / 1e9);
  if (value >= 1e6) return fmt::format("{:.2f}M", value / 1e6);
  if (value >= 1e4) return fmt::format("{:.1f}K", value / 1e3);
  return fmt::format("{:.0f}", value);
}
}  // namespace

void set_quiet(bool quiet) { g_quiet = quiet; }
bool is_quiet() { return g_quiet; }

void log_info(const std::string& message) {
  if (!g_quiet) fmt::print(stderr, "unfriend: {}\n", message);
}

void log_warning(const std::string& message) {
  fmt::print(stderr, "unfriend: warning: {}\n", message);
}

Progress::Progress(std::string stage, int64_t total, std::string unit)
    : stage_(std::move(stage)),
      unit_(std::move(unit)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  if (!finished_) finish();
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(int64_t count) {
  done_ += count;
  auto now = std::chrono::steady_clock::now();
  // A line a second at most: progress is for people watching long stages, not a log.
  if (std::chrono::duration<double>(now - last_print_).count() >= 1.0) {
    last_print_ = now;
    print(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  // Short stages print nothing: only a stage that showed progress gets a closing line.
  if (last_print_ != start_) print(true);
}

void Progress::print(bool final_line) {
  if (g_quiet) return;
  double seconds = elapsed_seconds();
  double rate = seconds > 0 ? done_ / seconds : 0;
  if (final_line) {
    fmt::print(stderr, "unfriend: {}: {} {} in {} ({} {}/s)\n", stage_, format_count(done_), unit_,
               format_duration(seconds), format_count(rate), unit_);
    return;
  }
  std::string eta = "?";
  if (rate > 0 && total_ > done_) eta = format_duration((total_ - done_) / rate);
  double percent = total_ > 0 ? 100.0 * done_ / total_ : 0;
  fmt::print(stderr, "unfriend: {}: {}/{} {} ({:.0f}%, {} {}/s, ETA {})\n", stage_,
             format_count(done_), format_count(total_), unit_, percent, format_count(rate), unit_,
             eta);
}

}  // namespace unfriend
