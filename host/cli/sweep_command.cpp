// unfriend sweep INPUT.h5 -o OUTPUT.h5 [--config FILE.toml] [overrides] [--resume]
#include <fmt/format.h>
#include <hdf5.h>
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "host/cli/commands.h"
#include "host/core/backend.h"
#include "host/core/config.h"
#include "host/core/error.h"
#include "host/io/h5_probe.h"
#include "host/pipeline/sweep.h"

namespace unfriend::cli {

namespace {
struct SweepArgs {
  std::string input, output, config_file, work_dir, actions, previous, protect, cleared;
  std::string backend, knn_mode, metric, on_invalid, features, ids, max_memory, gpu_memory;
  int k = 0, threads = -1, min_pts = 0;
  int64_t block_rows = -1, seed = -1;
  bool overwrite = false, write_graph = false, no_standardize = false, json = false;
  bool resume = false, no_checkpoint = false;
};

// The signal that asked the sweep to stop (0: none). Written only by the handler, read by the
// sweep between kNN units and stages.
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int signal_number) {
  if (g_stop_signal != 0) {
    // A second signal: the user does not want to wait for the unit boundary. The checkpoint
    // stays consistent (every file in it is renamed into place complete), the output is only
    // ever a temporary file, so dying now loses at most the unit in progress.
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
    return;
  }
  g_stop_signal = signal_number;
}

/// SIGINT and SIGTERM handlers for the lifetime of the object, the previous ones restored
/// afterwards. A SIGINT that was ignored when the process started (a background job of a
/// non-interactive shell) stays ignored, as Unix programs do.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // a signal must not fail the read or write it interrupts
    sigaction(SIGTERM, &action, &previous_term_);
    sigaction(SIGINT, nullptr, &previous_int_);
    if (previous_int_.sa_handler != SIG_IGN) sigaction(SIGINT, &action, nullptr);
  }
  ~StopSignals() {
    sigaction(SIGTERM, &previous_term_, nullptr);
    sigaction(SIGINT, &previous_int_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction previous_term_ {};
  struct sigaction previous_int_ {};
};

std::string shell_quote(const std::string& word) {
  if (!word.empty() &&
      word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "@%+=:,./-_") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

/// The command line this process was started with, with --resume added: what to run to
/// continue. Read from /proc/self/cmdline (the exact words, quoted for a shell); rebuilt from
/// the parsed arguments where /proc is not available.
std::string resume_command(const SweepArgs& args) {
  std::vector<std::string> words;
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t begin = 0; begin < raw.size();) {
    const size_t end = raw.find('\0', begin);
    words.push_back(raw.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  if (words.empty()) {
    words = {"unfriend", "sweep", args.input, "-o", args.output};
    if (!args.config_file.empty()) words.insert(words.end(), {"--config", args.config_file});
    if (!args.work_dir.empty()) words.insert(words.end(), {"--work-dir", args.work_dir});
    if (!args.actions.empty()) words.insert(words.end(), {"--actions", args.actions});
    words.push_back("[your other options]");
  }
  std::string command;
  bool has_resume = false;
  for (const std::string& word : words) {
    has_resume |= word == "--resume";
    if (!command.empty()) command += ' ';
    command += word == "[your other options]" ? word : shell_quote(word);
  }
  if (!has_resume) command += " --resume";
  return command;
}

const char* signal_name(int signal_number) {
  return signal_number == SIGINT ? "SIGINT" : signal_number == SIGTERM ? "SIGTERM" : "a signal";
}
}  // namespace

void add_sweep_command(CLI::App& app, CommandRun& run) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Find near-duplicate groups and click-farm clusters in an HDF5 input file");
  cmd->add_option("input", args->input, "Input HDF5 file with /accounts/features [N, D]")
      ->required();
  cmd->add_option("-o,--output", args->output, "Output HDF5 file (new; see --overwrite)")
      ->required();
  cmd->add_option("-c,--config", args->config_file,
                  "TOML configuration (see configs/default.toml); options below override it");
  cmd->add_option("--actions", args->actions,
                  "Action log (HDF5, see `unfriend lockstep`) searched for lockstep campaigns too; "
                  "accounts matched by id, /labels/campaign added");
  cmd->add_option("--previous", args->previous,
                  "Result of the previous scheduled run: group ids carry over, and the output "
                  "records what is new, grew, shrank, merged, split or dissolved");
  cmd->add_option("--protect", args->protect,
                  "Account ids (one per line) never flagged automatically: held for review, "
                  "with their groups, when the evidence would flag them");
  cmd->add_option("--cleared", args->cleared,
                  "Account ids cleared on appeal (one per line): held, not flagged, unless they "
                  "join a new group");
  cmd->add_option("--backend", args->backend, "auto, cpu or cuda (default auto)");
  cmd->add_option("--threads", args->threads, "CPU threads (0: all cores)");
  cmd->add_option("-k,--k", args->k, "Neighbours per account in the kNN graph");
  cmd->add_option("--knn-mode", args->knn_mode, "auto, exact, ivf or hnsw");
  cmd->add_option("--metric", args->metric, "cosine, inner_product or l2");
  cmd->add_option("--min-pts", args->min_pts, "Neighbours within eps that make a core account");
  cmd->add_option("--on-invalid", args->on_invalid,
                  "Rows with NaN, Inf or all zeros: error (default) or skip (labelled -2)");
  cmd->add_option("--features", args->features, "Features dataset (default /accounts/features)");
  cmd->add_option("--ids", args->ids, "Ids dataset (default /accounts/id; absent: row index)");
  cmd->add_option("--block-rows", args->block_rows, "Rows read per block (0: automatic)");
  cmd->add_option("--max-memory", args->max_memory,
                  "Refuse up front when the plan needs more host memory (e.g. 8G)");
  cmd->add_option("--gpu-memory", args->gpu_memory, "Cap on GPU memory used (e.g. 40G)");
  cmd->add_option("--seed", args->seed, "Seed for sampling (IVF training, recall sample)");
  cmd->add_flag("--no-standardize", args->no_standardize, "Skip per-feature standardisation");
  cmd->add_flag("--write-graph", args->write_graph, "Also write /graph/neighbors and similarity");
  cmd->add_flag("--overwrite", args->overwrite, "Replace an existing output file");
  cmd->add_flag("--json", args->json, "Print the JSON summary on stdout instead of the text one");
  cmd->add_option("--work-dir", args->work_dir,
                  "Checkpoint folder of the kNN stage (default OUTPUT.work; removed after "
                  "success)");
  cmd->add_flag("--resume", args->resume,
                "Continue from the checkpoint in the work dir (same input and configuration); "
                "without one, start from the beginning");
  cmd->add_flag("--no-checkpoint", args->no_checkpoint,
                "Keep no checkpoint (no work dir; a stopped run starts over)");
  cmd->footer(
      "SIGINT or SIGTERM stop the sweep at the next kNN unit, keep the checkpoint and leave no "
      "output (exit 130 / 143, with the command that resumes); a second signal stops at once.");

  cmd->callback([args, &run]() {
    run = [args]() {
      SweepRequest request;
      request.input_path = args->input;
      request.actions_path = args->actions;
      request.previous_path = args->previous;
      request.protect_path = args->protect;
      request.cleared_path = args->cleared;
      request.output_path = args->output;
      if (!args->config_file.empty()) {
        request.config = load_config(args->config_file);
        request.config_source = args->config_file;
      }
      SweepConfig& c = request.config;
      if (!args->backend.empty()) c.run.backend = backend_kind_from_string(args->backend);
      if (!args->knn_mode.empty()) c.knn.mode = knn_mode_from_string(args->knn_mode);
      if (!args->metric.empty()) c.preprocess.metric = metric_from_string(args->metric);
      if (!args->on_invalid.empty()) c.input.on_invalid = args->on_invalid;
      if (!args->features.empty()) c.input.features = args->features;
      if (!args->ids.empty()) c.input.ids = args->ids;
      if (!args->max_memory.empty())
        c.run.max_memory_bytes = parse_bytes(args->max_memory, "--max-memory");
      if (!args->gpu_memory.empty())
        c.run.gpu_memory_bytes = parse_bytes(args->gpu_memory, "--gpu-memory");
      if (args->k > 0) c.knn.k = args->k;
      if (args->threads >= 0) c.run.threads = args->threads;
      if (args->min_pts > 0) c.clusters.min_pts = args->min_pts;
      if (args->block_rows >= 0) c.input.block_rows = args->block_rows;
      if (args->seed >= 0) c.knn.seed = static_cast<uint64_t>(args->seed);
      if (args->no_standardize) c.preprocess.standardize = false;
      if (args->write_graph) c.output.write_graph = true;
      if (args->overwrite) c.output.overwrite = true;
      validate_config(c, args->config_file.empty() ? "command line" : args->config_file);
      probe_input_in_child(args->input, c.input.features, c.input.ids);
      if (args->resume && args->no_checkpoint) {
        throw InputError(
            "--resume and --no-checkpoint: a run without a checkpoint has nothing "
            "to resume from");
      }
      request.work_dir = args->work_dir;
      request.resume = args->resume;
      request.checkpoint = !args->no_checkpoint;
      StopSignals signals;
      request.stop_requested = [] { return g_stop_signal != 0; };
      SweepSummary summary;
      try {
        summary = run_sweep(request);
      } catch (const StopRequested& e) {
        const int signal_number = g_stop_signal != 0 ? static_cast<int>(g_stop_signal) : SIGTERM;
        if (args->no_checkpoint) {
          fmt::print(stderr, "unfriend: stopped by {} ({}); no output written\n",
                     signal_name(signal_number), e.what());
        } else {
          fmt::print(stderr, "unfriend: stopped by {} ({}); no output written; resume with: {}\n",
                     signal_name(signal_number), e.what(), resume_command(*args));
        }
        return 128 + signal_number;
      }
      if (args->json) {
        fmt::print("{}\n", summary.json.dump(2));
      } else {
        fmt::print("{}", summary.text);
      }
      return kExitOk;
    };
  });
}

}  // namespace unfriend::cli
