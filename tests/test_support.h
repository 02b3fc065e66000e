// Helpers shared by the test files: scratch folders, the shared data sets, running the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unfriend::test {

/// A fresh empty folder for the running test, under the system temp folder.
std::string scratch_dir();

/// Path of a file or folder under ../shared/data, or "" when it is absent (then GTEST_SKIP).
std::string shared_data(const std::string& relative);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Runs the unfriend binary with `args` (a shell-quoted string) and captures its output.
CommandResult run_unfriend(const std::string& args);

/// Runs any shell command and captures its output.
CommandResult run_command(const std::string& command);

bool file_exists(const std::string& path);

/// A whole file's bytes ("" when it cannot be read), and writing bytes over a file.
std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& bytes);

/// Seeded standard-normal matrix [rows x cols], row-major.
std::vector<float> random_normal(int64_t rows, int64_t cols, uint64_t seed);

/// Whether the environment says a GPU must be usable (UNFRIEND_REQUIRE_GPU=1, set by
/// bench/gpu-check.sh): then a GPU case that cannot run fails instead of skipping, so that a
/// broken CUDA backend cannot pass the GPU check by skipping every case.
bool gpu_required();

}  // namespace unfriend::test

/// Skips the current test with `reason`, or fails it when test::gpu_required().
#define UNFRIEND_SKIP_GPU_CASE(reason)                                                    \
  do {                                                                                    \
    if (::unfriend::test::gpu_required()) {                                               \
      GTEST_FAIL() << "UNFRIEND_REQUIRE_GPU=1 but the GPU case cannot run: " << (reason); \
    }                                                                                     \
    GTEST_SKIP() << (reason);                                                             \
  } while (0)
