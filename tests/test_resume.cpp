// A sweep that survives: checkpoint and resume of the kNN stage (kills at several points give
// byte-identical outputs), clean stops on SIGTERM / SIGINT, refusal of another input's or
// configuration's checkpoint, determinism across threads and block sizes, out of disk, and the
// --max-memory plan. Through the CLI where the behaviour is the product's, through the
// KnnCheckpoint hook and the work-dir checkpoint where a unit test is sharper.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/io/h5_reader.h"
#include "host/pipeline/checkpoint.h"
#include "host/pipeline/memory_plan.h"
#include "tests/test_support.h"

extern char** environ;

namespace unfriend {
namespace {

namespace fs = std::filesystem;
using test::run_unfriend;

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim_newlines(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// ---------------------------------------------------------------------------------------------
// Running the CLI as a child we can signal.

struct Child {
  pid_t pid = -1;
  std::string err_path;
};

/// Starts the unfriend binary with `args`, stdout to /dev/null and stderr to a file, with the
/// extra environment `env` ("NAME=value") and SIGINT/SIGTERM at their defaults. A positive
/// `file_size_limit` sets RLIMIT_FSIZE (with SIGXFSZ ignored, so writes fail with EFBIG).
Child spawn_unfriend(const std::vector<std::string>& args, const std::string& err_path,
                     const std::vector<std::string>& env = {}, rlim_t file_size_limit = 0) {
  std::vector<std::string> words{UNFRIEND_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_words;
  for (char** e = environ; *e != nullptr; ++e) env_words.emplace_back(*e);
  env_words.insert(env_words.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (std::string& e : env_words) envp.push_back(e.data());
  envp.push_back(nullptr);

  Child child;
  child.err_path = err_path;
  child.pid = ::fork();
  if (child.pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    int out = ::open("/dev/null", O_WRONLY);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    if (file_size_limit > 0) {
      action.sa_handler = SIG_IGN;
      ::sigaction(SIGXFSZ, &action, nullptr);
      struct rlimit limit {
        file_size_limit, file_size_limit
      };
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return child;
}

/// Waits for the child: its exit code, or 128 + the signal that killed it.
int wait_child(const Child& child) {
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool child_running(const Child& child) {
  int status = 0;
  return ::waitpid(child.pid, &status, WNOHANG) == 0;
}

/// Finished units listed in a work dir's manifest (-1: no manifest yet).
int64_t units_done(const std::string& work_dir) {
  const std::string text = slurp(work_dir + "/manifest.json");
  if (text.empty()) return -1;
  try {
    int64_t count = 0;  // "done" holds [first, last] ranges
    const nlohmann::json manifest = nlohmann::json::parse(text);
    for (const auto& range : manifest.at("done")) {
      count += range.at(1).get<int64_t>() - range.at(0).get<int64_t>() + 1;
    }
    return count;
  } catch (const std::exception&) {
    return -1;  // the manifest is renamed into place whole, so this should not happen
  }
}

/// Polls until the manifest lists at least `count` finished units (true), or the child exits or
/// 60 s pass (false).
bool wait_for_units(const Child& child, const std::string& work_dir, int64_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (units_done(work_dir) >= count) return true;
    if (!child_running(child)) return units_done(work_dir) >= count;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Comparing outputs dataset by dataset (attributes hold timings and the thread count, which
// legitimately differ).

const std::vector<std::string> k_int_datasets = {"/accounts/id",
                                                 "/labels/cluster",
                                                 "/labels/dup_group",
                                                 "/clusters/id",
                                                 "/clusters/size",
                                                 "/clusters/core_size",
                                                 "/clusters/representative_id",
                                                 "/dup_groups/id",
                                                 "/dup_groups/size",
                                                 "/dup_groups/representative_id"};
const std::vector<std::string> k_float_datasets = {"/labels/score",
                                                   "/clusters/mean_similarity",
                                                   "/clusters/tightness",
                                                   "/clusters/score",
                                                   "/clusters/internal_distance",
                                                   "/clusters/surround_distance",
                                                   "/dup_groups/mean_similarity",
                                                   "/dup_groups/min_similarity"};

/// Every result dataset of `a` and `b` has the same bytes (the graph too when both have it).
void expect_same_results(const std::string& a, const std::string& b) {
  H5Reader ra(a), rb(b);
  for (const std::string& name : k_int_datasets) {
    EXPECT_EQ(ra.read_int64(name), rb.read_int64(name)) << name << " differs: " << a << " " << b;
  }
  auto same_bits = [](const std::vector<float>& x, const std::vector<float>& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
  };
  for (const std::string& name : k_float_datasets) {
    EXPECT_TRUE(same_bits(ra.read_float32(name), rb.read_float32(name)))
        << name << " differs: " << a << " " << b;
  }
  EXPECT_EQ(ra.read_strings("/clusters/kind"), rb.read_strings("/clusters/kind"));
  if (ra.has("/graph/neighbors") && rb.has("/graph/neighbors")) {
    EXPECT_EQ(ra.read_int64("/graph/neighbors"), rb.read_int64("/graph/neighbors"));
    EXPECT_TRUE(
        same_bits(ra.read_float32("/graph/similarity"), rb.read_float32("/graph/similarity")))
        << "/graph/similarity differs";
  }
}

/// No file under the output's final name, no temporary file beside it, no summary.
void expect_no_output(const std::string& dir, const std::string& output) {
  EXPECT_FALSE(fs::exists(output)) << output;
  const std::string name = fs::path(output).filename().string();
  const std::string stem = fs::path(output).stem().string();
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    EXPECT_EQ(file.find(name + ".tmp-"), std::string::npos) << file;
    EXPECT_EQ(file.find(stem + ".summary.json"), std::string::npos) << file;
  }
}

uint64_t file_hash(const std::string& path) {
  const std::string bytes = slurp(path);
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

// ---------------------------------------------------------------------------------------------
// CLI fixture: one synthetic input (6000 x 16, planted farms and duplicates) and a
// configuration with small kNN units, so that a sweep has 15 of them.

class ResumeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir();
    input_ = dir_ + "/in.h5";
    out_ = dir_ + "/out.h5";
    work_ = out_ + ".work";
    config_ = dir_ + "/units.toml";
    std::ofstream(config_) << "[knn]\nquery_block_rows = 400\n";
    auto r = run_unfriend("-q synth -o " + quote(input_) + " --rows 6000 --dims 16 --seed 5");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::vector<std::string> sweep_args(const std::string& output,
                                      const std::vector<std::string>& extra) const {
    std::vector<std::string> args{"-q",        "sweep", input_,     "-o",    output,
                                  "--backend", "cpu",   "--config", config_, "--write-graph"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  static std::string joined(const std::vector<std::string>& args) {
    std::string text;
    for (const std::string& a : args) text += quote(a) + " ";
    return text;
  }

  /// An uninterrupted run (no checkpoint kept): the reference outputs.
  std::string reference(const std::vector<std::string>& extra) {
    const std::string path = dir_ + "/reference.h5";
    if (!fs::exists(path)) {
      auto r = run_unfriend(joined(sweep_args(path, extra)));
      EXPECT_EQ(r.exit_code, 0) << r.err;
      EXPECT_FALSE(fs::exists(path + ".work")) << "the work dir stays after success";
    }
    return path;
  }

  /// Starts a slow sweep (each unit sleeps `slow_ms` after it is saved) of out_.
  Child start_slow(const std::vector<std::string>& extra, int slow_ms, const std::string& err) {
    return spawn_unfriend(sweep_args(out_, extra), dir_ + "/" + err,
                          {"UNFRIEND_TEST_SLOW_UNIT_MS=" + std::to_string(slow_ms)});
  }

  std::string dir_, input_, out_, work_, config_;
};

// Kills a sweep with SIGKILL after 1, then 2, then 3 finished units (each time resuming the
// last), finishes it, and compares with an uninterrupted run: exact, IVF, and HNSW single-
// threaded (its documented resume condition).
class KillAndResume : public ResumeCli, public ::testing::WithParamInterface<std::string> {};

TEST_P(KillAndResume, OutputsAreByteIdenticalToAnUninterruptedRun) {
  std::vector<std::string> extra{"--knn-mode", GetParam()};
  if (GetParam() == "hnsw") extra.insert(extra.end(), {"--threads", "1"});
  const std::string expected = reference(extra);

  int64_t previous = 0;
  for (int64_t target = 1; target <= 3; ++target) {
    std::vector<std::string> run = extra;
    if (target > 1) run.push_back("--resume");
    Child child = start_slow(run, 150, "kill.err");
    ASSERT_TRUE(wait_for_units(child, work_, std::max(target, previous + 1)))
        << "no unit finished in time: " << slurp(child.err_path);
    ::kill(child.pid, SIGKILL);
    EXPECT_EQ(wait_child(child), 128 + SIGKILL);
    const int64_t done = units_done(work_);
    EXPECT_GT(done, previous) << "a resumed run must add units";
    EXPECT_LT(done, 15) << "killed too late to test anything";
    previous = done;
    expect_no_output(dir_, out_);
  }
  auto r = run_unfriend(joined(sweep_args(out_, extra)) + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(work_)) << "the work dir stays after success";
  expect_same_results(expected, out_);
  // The summary says the run resumed and how much it read back.
  auto summary = nlohmann::json::parse(slurp(dir_ + "/out.summary.json"));
  EXPECT_TRUE(summary["checkpoint"]["resumed"].get<bool>());
  EXPECT_EQ(summary["checkpoint"]["units_read_back"].get<int64_t>(), previous);
}

INSTANTIATE_TEST_SUITE_P(Modes, KillAndResume, ::testing::Values("exact", "ivf", "hnsw"));

TEST_F(ResumeCli, SigtermStopsAtAUnitBoundaryAndPrintsTheResumeCommand) {
  const std::vector<std::string> extra{"--knn-mode", "exact"};
  const std::string expected = reference(extra);
  Child child = start_slow(extra, 150, "term.err");
  ASSERT_TRUE(wait_for_units(child, work_, 2)) << slurp(child.err_path);
  ::kill(child.pid, SIGTERM);
  EXPECT_EQ(wait_child(child), 143);
  const std::string err = trim_newlines(slurp(child.err_path));
  EXPECT_EQ(err.find('\n'), std::string::npos) << "more than one line:\n" << err;
  EXPECT_NE(err.find("SIGTERM"), std::string::npos) << err;
  const std::string marker = "resume with: ";
  const size_t at = err.find(marker);
  ASSERT_NE(at, std::string::npos) << err;
  const std::string command = err.substr(at + marker.size());
  EXPECT_NE(command.find("--resume"), std::string::npos) << command;
  EXPECT_NE(command.find(input_), std::string::npos) << command;
  expect_no_output(dir_, out_);
  // The work dir is kept, with every unit the stop message counts.
  ASSERT_TRUE(fs::exists(work_ + "/manifest.json"));
  const int64_t saved = units_done(work_);
  EXPECT_GE(saved, 2);
  EXPECT_NE(err.find(std::to_string(saved) + " of 15 kNN units saved"), std::string::npos) << err;

  // The printed command, run as printed, finishes the job.
  auto r = test::run_command(command);
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  EXPECT_FALSE(fs::exists(work_));
  expect_same_results(expected, out_);
}

TEST_F(ResumeCli, SigintExitsWith130AndKeepsTheCheckpoint) {
  const std::vector<std::string> extra{"--knn-mode", "ivf"};
  Child child = start_slow(extra, 150, "int.err");
  ASSERT_TRUE(wait_for_units(child, work_, 1)) << slurp(child.err_path);
  ::kill(child.pid, SIGINT);
  EXPECT_EQ(wait_child(child), 130);
  const std::string err = slurp(child.err_path);
  EXPECT_NE(err.find("SIGINT"), std::string::npos) << err;
  EXPECT_NE(err.find("--resume"), std::string::npos) << err;
  expect_no_output(dir_, out_);
  EXPECT_GE(units_done(work_), 1);
  auto r = run_unfriend(joined(sweep_args(out_, extra)) + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_results(reference(extra), out_);
}

TEST_F(ResumeCli, RefusesTheCheckpointOfAnotherInputOrConfiguration) {
  const std::vector<std::string> extra{"--knn-mode", "exact"};
  Child child = start_slow(extra, 150, "term.err");
  ASSERT_TRUE(wait_for_units(child, work_, 1)) << slurp(child.err_path);
  ::kill(child.pid, SIGTERM);
  ASSERT_EQ(wait_child(child), 143);
  const std::string manifest_before = slurp(work_ + "/manifest.json");

  auto one_line = [](const test::CommandResult& r) {
    const std::string err = trim_newlines(r.err);
    EXPECT_EQ(err.find('\n'), std::string::npos) << "more than one line:\n" << r.err;
    return err;
  };
  // Without --resume: never silently reused or deleted.
  auto r = run_unfriend(joined(sweep_args(out_, extra)));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  std::string err = one_line(r);
  EXPECT_NE(err.find(work_), std::string::npos) << err;
  EXPECT_NE(err.find("--resume"), std::string::npos) << err;

  // Another configuration: says which key and how to start fresh.
  r = run_unfriend(joined(sweep_args(out_, extra)) + " --resume -k 16");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  err = one_line(r);
  EXPECT_NE(err.find("configuration"), std::string::npos) << err;
  EXPECT_NE(err.find("knn.k was 32, now 16"), std::string::npos) << err;
  EXPECT_NE(err.find("remove " + work_), std::string::npos) << err;

  // Another input (same shape, other values) pointed at the same checkpoint.
  const std::string other = dir_ + "/other.h5";
  ASSERT_EQ(
      run_unfriend("-q synth -o " + quote(other) + " --rows 6000 --dims 16 --seed 6").exit_code, 0);
  std::vector<std::string> other_args = sweep_args(dir_ + "/other-out.h5", extra);
  other_args[2] = other;
  r = run_unfriend(joined(other_args) + " --resume --work-dir " + quote(work_));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  err = one_line(r);
  EXPECT_NE(err.find("another input"), std::string::npos) << err;
  EXPECT_NE(err.find("sample_hash"), std::string::npos) << err;
  EXPECT_NE(err.find("remove " + work_), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ + "/other-out.h5"));

  // The refusals left the checkpoint as it was, and it still resumes.
  EXPECT_EQ(slurp(work_ + "/manifest.json"), manifest_before);
  r = run_unfriend(joined(sweep_args(out_, extra)) + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_results(reference(extra), out_);
}

TEST_F(ResumeCli, ResumeWithoutACheckpointStartsFresh) {
  auto r = run_unfriend(joined(sweep_args(out_, {"--knn-mode", "exact"})) + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(work_));
  expect_same_results(reference({"--knn-mode", "exact"}), out_);
}

TEST_F(ResumeCli, AFolderThatIsNotACheckpointIsNeverUsed) {
  fs::create_directories(work_);
  std::ofstream(work_ + "/notes.txt") << "mine";
  auto r = run_unfriend(joined(sweep_args(out_, {"--knn-mode", "exact"})));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("not an unfriend checkpoint"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(work_ + "/notes.txt"), "mine");
  expect_no_output(dir_, out_);
}

// Same input, configuration and seed: the same bytes whatever the thread count and the read and
// kNN query block sizes.
class Determinism : public ResumeCli, public ::testing::WithParamInterface<std::string> {};

TEST_P(Determinism, ThreadsAndBlockSizesDoNotChangeResults) {
  const std::string small_blocks = dir_ + "/small.toml";
  std::ofstream(small_blocks) << "[knn]\nquery_block_rows = 333\n[input]\nblock_rows = 1000\n";
  std::vector<std::string> outputs;
  int variant = 0;
  for (const auto& [threads, config] : std::vector<std::pair<std::string, std::string>>{
           {"1", config_}, {"2", config_}, {"1", small_blocks}, {"2", small_blocks}}) {
    const std::string out = dir_ + "/det" + std::to_string(variant++) + ".h5";
    std::vector<std::string> args =
        sweep_args(out, {"--knn-mode", GetParam(), "--threads", threads});
    args[8] = config;  // the --config value
    auto r = run_unfriend(joined(args));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    outputs.push_back(out);
  }
  H5Reader first(outputs[0]);
  ASSERT_GT(first.read_int64("/clusters/id").size(), 0u) << "nothing found: a weak comparison";
  ASSERT_GT(first.read_int64("/dup_groups/id").size(), 0u);
  for (size_t i = 1; i < outputs.size(); ++i) expect_same_results(outputs[0], outputs[i]);
}

INSTANTIATE_TEST_SUITE_P(Modes, Determinism, ::testing::Values("exact", "ivf"));

// Out of disk: a tiny tmpfs when this process may mount one (root), else a file-size limit.
class OutOfDisk : public ResumeCli {
 protected:
  void SetUp() override {
    ResumeCli::SetUp();
    tiny_ = dir_ + "/tiny";
    fs::create_directories(tiny_);
    auto r = test::run_command("mount -t tmpfs -o size=1M unfriend-test " + quote(tiny_));
    mounted_ = r.exit_code == 0;
    if (!mounted_) limit_ = 1 << 20;  // RLIMIT_FSIZE: 1 MiB per file
  }
  void TearDown() override {
    if (mounted_) test::run_command("umount -l " + quote(tiny_));
  }

  // One line naming `file`, saying the disk is full, exit 1.
  void expect_disk_full(int code, const std::string& err_path, const std::string& file) {
    EXPECT_EQ(code, 1);
    const std::string err = trim_newlines(slurp(err_path));
    EXPECT_EQ(err.find('\n'), std::string::npos) << "more than one line:\n" << err;
    EXPECT_NE(err.find(file), std::string::npos) << err;
    const bool says_full = err.find("no space left on device") != std::string::npos ||
                           err.find("No space left on device") != std::string::npos ||
                           (!mounted_ && err.find("File too large") != std::string::npos);
    EXPECT_TRUE(says_full) << err;
  }

  std::string tiny_;
  bool mounted_ = false;
  rlim_t limit_ = 0;
};

TEST_F(OutOfDisk, OutputOnAFullDiskFailsCleanly) {
  const uint64_t input_before = file_hash(input_);
  const auto input_time = fs::last_write_time(input_);
  // The output (with the graph: about 2.3 MB) does not fit; the checkpoint goes elsewhere.
  const std::string out = tiny_ + "/out.h5";
  std::vector<std::string> args =
      sweep_args(out, {"--knn-mode", "exact", "--work-dir", dir_ + "/work"});
  Child child = spawn_unfriend(args, dir_ + "/full.err", {}, limit_);
  expect_disk_full(wait_child(child), child.err_path, out);
  expect_no_output(tiny_, out);
  EXPECT_EQ(file_hash(input_), input_before);
  EXPECT_EQ(fs::last_write_time(input_), input_time);
  // Every unit was saved before the output failed: freeing space and resuming finishes it.
  EXPECT_EQ(units_done(dir_ + "/work"), 15);
}

TEST_F(OutOfDisk, CheckpointOnAFullDiskFailsCleanly) {
  const uint64_t input_before = file_hash(input_);
  // One unit of 6000 rows (about 2.3 MB) cannot be saved beside the output.
  const std::string big_units = dir_ + "/big.toml";
  std::ofstream(big_units) << "[knn]\nquery_block_rows = 6000\n";
  const std::string out = tiny_ + "/out.h5";
  std::vector<std::string> args = sweep_args(out, {"--knn-mode", "exact"});
  args[8] = big_units;
  Child child = spawn_unfriend(args, dir_ + "/full.err", {}, limit_);
  expect_disk_full(wait_child(child), child.err_path, out + ".work/unit-00000000.bin");
  expect_no_output(tiny_, out);
  EXPECT_FALSE(fs::exists(out + ".work")) << "a work dir with nothing saved is left";
  EXPECT_EQ(file_hash(input_), input_before);
}

// --max-memory: shrinks the kNN query block where that is enough (same results), refuses with
// the numbers where it is not.
TEST_F(ResumeCli, MaxMemoryShrinksBlocksOrRefusesUpFront) {
  MemoryPlanInput in;
  in.rows = 6000;
  in.cols = 16;
  in.k = 32;
  in.mode = KnnMode::exact;
  in.read_block_rows = 6000;
  in.query_block_rows = 6000;
  in.write_graph = true;
  in.checkpoint = true;
  const double full = plan_memory(in).peak().total();
  in.query_block_rows = 256;
  in.read_block_rows = 256;
  const double smallest = plan_memory(in).peak().total();
  ASSERT_LT(smallest, full);
  const auto fits = static_cast<int64_t>((smallest + full) / 2);

  const std::string big_blocks = dir_ + "/big.toml";
  std::ofstream(big_blocks) << "[knn]\nquery_block_rows = 6000\n[input]\nblock_rows = 6000\n";
  std::vector<std::string> args = sweep_args(out_, {"--knn-mode", "exact"});
  args[8] = big_blocks;
  args.erase(args.begin());  // not quiet: the plan is logged
  auto r = run_unfriend(joined(args) + " --max-memory " + std::to_string(fits));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("per kNN query block"), std::string::npos) << r.err;
  expect_same_results(reference({"--knn-mode", "exact"}), out_);

  fs::remove(out_);
  fs::remove(dir_ + "/out.summary.json");
  r = run_unfriend(joined(args) + " --max-memory " +
                   std::to_string(static_cast<int64_t>(smallest / 2)));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const std::string err = trim_newlines(r.err);
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  EXPECT_NE(err.find("in.h5: 6000 rows x 16 features need about"), std::string::npos) << err;
  EXPECT_NE(err.find("graph"), std::string::npos) << err;
  EXPECT_NE(err.find("over --max-memory"), std::string::npos) << err;
  expect_no_output(dir_, out_);
  EXPECT_FALSE(fs::exists(work_));
}

// ---------------------------------------------------------------------------------------------
// The hook itself: any backend build stopped and resumed through an in-memory checkpoint gives
// the graph of an uninterrupted build.

class MemoryCheckpoint final : public KnnCheckpoint {
 public:
  void begin(const std::string& plan, int64_t units) override {
    if (!plan_.empty() && (plan != plan_ || units != units_)) throw InputError("plan changed");
    plan_ = plan;
    units_ = units;
  }
  bool done(int64_t unit) const override { return saved_.count(unit) != 0; }
  bool load(int64_t unit, KnnUnit& out) override {
    auto it = saved_.find(unit);
    if (it == saved_.end()) return false;
    out = it->second;
    ++loads_;
    return true;
  }
  void save(int64_t unit, const KnnUnit& data) override {
    EXPECT_TRUE(saved_.count(unit) == 0 || unit == damaged_)
        << "unit " << unit << " computed twice";
    saved_[unit] = data;
    ++saves_;
  }
  bool stop_requested() const override { return stop_at_ >= 0 && saves_ >= stop_at_; }

  std::string plan_;
  int64_t units_ = -1;
  std::map<int64_t, KnnUnit> saved_;
  int64_t saves_ = 0, loads_ = 0, stop_at_ = -1;
  int64_t damaged_ = -1;  // a unit the test broke: computing it again is expected
};

class CheckpointHook : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { set_quiet(true); }
};

TEST_P(CheckpointHook, StoppedAndResumedBuildsGiveTheUninterruptedGraph) {
  const int64_t rows = 1499, cols = 12;
  std::vector<float> values = test::random_normal(rows, cols, 77);
  for (int64_t r = 0; r < rows; ++r) {  // cosine rows, a few exact duplicates
    double norm = 0;
    for (int64_t c = 0; c < cols; ++c) norm += double(values[r * cols + c]) * values[r * cols + c];
    for (int64_t c = 0; c < cols; ++c)
      values[r * cols + c] = float(values[r * cols + c] / std::sqrt(norm));
  }
  std::copy_n(values.data() + 5 * cols, cols, values.data() + 900 * cols);
  const MatrixView view{values.data(), rows, cols};
  KnnParams params;
  params.k = 10;
  params.mode = knn_mode_from_string(GetParam());
  params.query_block_rows = 97;
  BackendOptions options;
  options.threads = GetParam() == "hnsw" ? 1 : 2;  // HNSW resumes identically single-threaded
  auto backend = make_backend(BackendKind::cpu, options);
  const KnnGraph expected = backend->knn_graph(view, params, nullptr);

  MemoryCheckpoint checkpoint;
  checkpoint.stop_at_ = 2;
  EXPECT_THROW(backend->knn_graph(view, params, nullptr, &checkpoint), StopRequested);
  const int64_t first_saves = checkpoint.saves_;
  EXPECT_GE(first_saves, 2);
  EXPECT_LT(first_saves, checkpoint.units_);
  // A second stop, a few units later: the saved units are read back, not computed again.
  checkpoint.stop_at_ = first_saves + 3;
  EXPECT_THROW(backend->knn_graph(view, params, nullptr, &checkpoint), StopRequested);
  EXPECT_EQ(checkpoint.loads_, first_saves);
  EXPECT_GE(checkpoint.saves_, first_saves + 3);
  // A damaged unit (a row it does not own) is computed again rather than trusted.
  checkpoint.damaged_ = checkpoint.saved_.begin()->first;
  checkpoint.saved_.begin()->second.rows[0] = rows + 5;
  checkpoint.stop_at_ = -1;
  KnnReport report;
  const KnnGraph resumed = backend->knn_graph(view, params, &report, &checkpoint);
  EXPECT_EQ(int64_t(checkpoint.saved_.size()), checkpoint.units_);
  EXPECT_EQ(resumed.neighbors, expected.neighbors);
  EXPECT_EQ(resumed.similarity, expected.similarity);
  EXPECT_EQ(report.mode_used, params.mode);
}

INSTANTIATE_TEST_SUITE_P(Modes, CheckpointHook, ::testing::Values("exact", "ivf", "hnsw"));

TEST(CheckpointHookSeam, AnotherPlanIsRefused) {
  set_quiet(true);
  std::vector<float> values = test::random_normal(300, 4, 3);
  KnnParams params;
  params.k = 5;
  params.mode = KnnMode::exact;
  params.query_block_rows = 50;
  auto backend = make_backend(BackendKind::cpu, BackendOptions{});
  MemoryCheckpoint checkpoint;
  backend->knn_graph(MatrixView{values.data(), 300, 4}, params, nullptr, &checkpoint);
  EXPECT_EQ(checkpoint.units_, 6);
  params.query_block_rows = 60;
  EXPECT_THROW(backend->knn_graph(MatrixView{values.data(), 300, 4}, params, nullptr, &checkpoint),
               InputError);
}

// ---------------------------------------------------------------------------------------------
// The work-dir checkpoint on its own.

class WorkDir : public ::testing::Test {
 protected:
  void SetUp() override {
    set_quiet(true);
    dir_ = test::scratch_dir() + "/out.h5.work";
    input_.path = "/data/in.h5";
    input_.size_bytes = 1000;
    input_.mtime_ns = 42;
    input_.rows = 10;
    input_.cols = 3;
    input_.dtype = "float32";
    input_.sample_hash = "00000000deadbeef";
    config_ = {{"knn", {{"k", 3}}}};
  }
  std::unique_ptr<WorkDirCheckpoint> open(bool resume) {
    return std::make_unique<WorkDirCheckpoint>(dir_, resume, input_, config_, "cpu", nullptr);
  }
  static KnnUnit unit_of(int64_t first, int64_t count, int width) {
    KnnUnit unit;
    unit.width = width;
    for (int64_t i = 0; i < count; ++i) {
      unit.rows.push_back(first + i);
      for (int j = 0; j < width; ++j) {
        unit.neighbors.push_back((first + i + j + 1) % 10);
        unit.similarity.push_back(1.f / float(j + 1 + i));
      }
    }
    return unit;
  }
  std::string dir_;
  InputIdentity input_;
  nlohmann::json config_;
};

TEST_F(WorkDir, SavedUnitsReadBackAfterAResume) {
  {
    auto checkpoint = open(false);
    checkpoint->begin("plan A", 3);
    checkpoint->save(0, unit_of(0, 4, 3));
    checkpoint->save(2, unit_of(8, 2, 3));
  }
  ASSERT_TRUE(fs::exists(dir_ + "/manifest.json")) << "a checkpoint with units is kept";
  auto checkpoint = open(true);
  EXPECT_TRUE(checkpoint->resumed());
  checkpoint->begin("plan A", 3);
  EXPECT_TRUE(checkpoint->done(0));
  EXPECT_FALSE(checkpoint->done(1));
  EXPECT_TRUE(checkpoint->done(2));
  KnnUnit got;
  ASSERT_TRUE(checkpoint->load(2, got));
  const KnnUnit want = unit_of(8, 2, 3);
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.width, want.width);
  EXPECT_EQ(got.neighbors, want.neighbors);
  EXPECT_EQ(got.similarity, want.similarity);
  EXPECT_FALSE(checkpoint->load(1, got));
  checkpoint->remove();
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(WorkDir, ADamagedUnitIsComputedAgain) {
  {
    auto checkpoint = open(false);
    checkpoint->begin("plan A", 2);
    checkpoint->save(0, unit_of(0, 5, 3));
    checkpoint->save(1, unit_of(5, 5, 3));
  }
  {
    std::fstream file(dir_ + "/unit-00000001.bin", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(60);
    file.put('\x7f');
  }
  fs::resize_file(dir_ + "/unit-00000000.bin", 30);  // torn
  auto checkpoint = open(true);
  checkpoint->begin("plan A", 2);
  KnnUnit got;
  EXPECT_FALSE(checkpoint->load(0, got));
  EXPECT_FALSE(checkpoint->load(1, got));
  EXPECT_FALSE(checkpoint->done(0));
  EXPECT_FALSE(checkpoint->done(1));
}

TEST_F(WorkDir, RefusesAnotherPlanInputConfigurationOrBackend) {
  {
    auto checkpoint = open(false);
    checkpoint->begin("plan A", 3);
    checkpoint->save(1, unit_of(4, 4, 3));
  }
  {
    auto checkpoint = open(true);
    EXPECT_THROW(checkpoint->begin("plan B", 3), InputError);
  }
  auto message_of = [&](auto make) {
    try {
      make();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  InputIdentity moved = input_;
  moved.size_bytes = 2000;
  std::string err =
      message_of([&] { WorkDirCheckpoint c(dir_, true, moved, config_, "cpu", nullptr); });
  EXPECT_NE(err.find("size_bytes was 1000, now 2000"), std::string::npos) << err;
  err = message_of([&] {
    WorkDirCheckpoint c(dir_, true, input_, {{"knn", {{"k", 4}}}}, "cpu", nullptr);
  });
  EXPECT_NE(err.find("knn.k was 3, now 4"), std::string::npos) << err;
  err = message_of([&] { WorkDirCheckpoint c(dir_, true, input_, config_, "cuda", nullptr); });
  EXPECT_NE(err.find("--backend cpu"), std::string::npos) << err;
  err = message_of([&] { WorkDirCheckpoint c(dir_, false, input_, config_, "cpu", nullptr); });
  EXPECT_NE(err.find("--resume"), std::string::npos) << err;
  // None of that touched the checkpoint.
  auto checkpoint = open(true);
  checkpoint->begin("plan A", 3);
  EXPECT_TRUE(checkpoint->done(1));
}

TEST_F(WorkDir, OneSweepAtATime) {
  auto first = open(false);
  try {
    WorkDirCheckpoint second(dir_, true, input_, config_, "cpu", nullptr);
    FAIL() << "a second sweep used a work dir in use";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
  }
}

TEST_F(WorkDir, AFreshCheckpointWithNothingSavedIsRemovedOnFailure) {
  {
    auto checkpoint = open(false);
    checkpoint->begin("plan A", 3);
    ASSERT_TRUE(fs::exists(dir_ + "/manifest.json"));
  }
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(WorkDir, StopRequestsArePassedOn) {
  bool stop = false;
  WorkDirCheckpoint checkpoint(dir_, false, input_, config_, "cpu", [&] { return stop; });
  EXPECT_FALSE(checkpoint.stop_requested());
  stop = true;
  EXPECT_TRUE(checkpoint.stop_requested());
}

// ---------------------------------------------------------------------------------------------
// The memory plan.

TEST(MemoryPlan, CountsWhatEachModeHolds) {
  MemoryPlanInput in;
  in.rows = 1000000;
  in.cols = 64;
  in.k = 32;
  in.read_block_rows = 16384;
  in.query_block_rows = 16384;
  in.threads = 2;
  auto part = [](const MemoryPlan& plan, const std::string& stage, const std::string& name) {
    for (const MemoryStage& s : plan.stages) {
      if (s.name != stage) continue;
      for (const auto& p : s.parts) {
        if (p.first == name) return p.second;
      }
    }
    return -1.0;
  };
  in.mode = KnnMode::exact;
  MemoryPlan exact = plan_memory(in);
  EXPECT_EQ(part(exact, "knn", "features"), 1e6 * 64 * 4);
  EXPECT_EQ(part(exact, "knn", "graph"), 1e6 * 32 * 12);
  EXPECT_EQ(part(exact, "groups", "edge distances"), 1e6 * 32 * 4);
  EXPECT_EQ(part(exact, "groups", "features"), -1.0) << "freed before the graph stages";
  EXPECT_EQ(part(exact, "read", "read blocks"), 2 * 16384.0 * 64 * 4);  // two host slots
  in.mode = KnnMode::hnsw;
  EXPECT_GT(part(plan_memory(in), "knn", "hnsw index"), 1e6 * 64 * 4) << "a copy of the rows";
  in.mode = KnnMode::ivf;
  in.ivf_nlist = 4000;
  in.ivf_train_rows = 256000;
  MemoryPlan ivf = plan_memory(in);
  EXPECT_GT(part(ivf, "knn", "ivf partition"), 1e6 * 16);
  EXPECT_GT(part(ivf, "knn", "ivf k-means / join buffers"), 256000.0 * 64 * 4);
  EXPECT_EQ(part(ivf, "knn", "rows grouped by list"), 1e6 * 64 * 4) << "the join's copy";
  // Exact search holds every row's candidate lists: k + 13 of 8 bytes, and 8 bytes per row.
  EXPECT_EQ(part(exact, "knn", "candidate lists"), 1e6 * (45 * 8 + 8));
}

TEST(MemoryPlan, ShrinksBlocksBeforeRefusing) {
  MemoryPlanInput in;
  in.rows = 100000;
  in.cols = 2048;  // wide rows: the read block matters
  in.k = 8;
  in.read_block_rows = 100000;
  in.query_block_rows = 16384;
  const MemoryPlan full = plan_memory(in);
  EXPECT_EQ(full.peak().name, "read");
  const auto limit = static_cast<int64_t>(full.peak().total() * 0.6);
  const MemoryPlan fitted = fit_memory_plan(in, limit, "in.h5");
  EXPECT_LE(fitted.peak().total(), double(limit));
  EXPECT_LT(fitted.read_block_rows, in.read_block_rows);
  EXPECT_GE(fitted.read_block_rows, 256);
  try {
    fit_memory_plan(in, 1 << 20, "in.h5");
    FAIL() << "1 MiB cannot hold 100000 x 2048 features";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("in.h5: 100000 rows x 2048 features need about", 0), 0u) << what;
    EXPECT_NE(what.find("features 781.2 MiB"), std::string::npos) << what;
    EXPECT_NE(what.find("over --max-memory 1.0 MiB"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace unfriend
