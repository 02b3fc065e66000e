#include "tests/test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace unfriend::test {

namespace fs = std::filesystem;

std::string scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  fs::path dir = fs::temp_directory_path() / ("unfriend-test-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string shared_data(const std::string& relative) {
  fs::path path = fs::path(UNFRIEND_SHARED_DATA) / relative;
  return fs::exists(path) ? path.string() : std::string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

CommandResult run_command(const std::string& command) {
  char out_template[] = "/tmp/unfriend-cmd-out-XXXXXX";
  char err_template[] = "/tmp/unfriend-cmd-err-XXXXXX";
  int out_fd = mkstemp(out_template);
  int err_fd = mkstemp(err_template);
  close(out_fd);
  close(err_fd);
  std::string full = command + " >" + out_template + " 2>" + err_template + " </dev/null";
  int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_bytes(out_template);
  result.err = read_bytes(err_template);
  std::remove(out_template);
  std::remove(err_template);
  return result;
}

CommandResult run_unfriend(const std::string& args) {
  return run_command(std::string("'") + UNFRIEND_BINARY + "' " + args);
}

bool file_exists(const std::string& path) { return fs::exists(path); }

std::vector<float> random_normal(int64_t rows, int64_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (float& v : values) v = normal(rng);
  return values;
}

bool gpu_required() {
  const char* value = std::getenv("UNFRIEND_REQUIRE_GPU");
  return value != nullptr && std::string(value) == "1";
}

}  // namespace unfriend::test
