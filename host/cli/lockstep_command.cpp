// unfriend lockstep ACTIONS.h5 -o OUT.h5 [--config FILE.toml] [overrides]: coordinated-action
// campaigns (mass reporting, like farms) from an action log.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "host/cli/commands.h"
#include "host/core/config.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/thread_limit.h"
#include "host/io/action_log.h"
#include "host/io/durable_file.h"
#include "host/pipeline/action_index.h"
#include "host/pipeline/lockstep.h"
#include "host/pipeline/lockstep_output.h"
#include "host/pipeline/memory_plan.h"
#include "host/pipeline/sweep.h"  // summary_path_for

namespace unfriend::cli {

namespace {

struct LockstepArgs {
  std::string input, output, config_file;
  int64_t min_tolerance = -1;
  double significance = -1;
  int threads = -1;
  std::string backend, max_memory;
  bool overwrite = false;
  bool json = false;
};

}  // namespace

void add_lockstep_command(CLI::App& app, CommandRun& run) {
  CLI::App* cmd = app.add_subcommand(
      "lockstep",
      "Find coordinated-action campaigns (mass reporting, like farms) in an action log");
  cmd->footer(
      "Input: HDF5 with /actions/account, /actions/target, /actions/time (Unix seconds), "
      "optional /actions/kind (0 view, 1 like, 2 comment, 3 share, 4 report).\n"
      "Example: unfriend lockstep actions.h5 -o campaigns.h5");
  auto args = std::make_shared<LockstepArgs>();
  cmd->add_option("actions", args->input, "Action log (HDF5)")->required();
  cmd->add_option("-o,--output", args->output, "Result HDF5 file")->required();
  cmd->add_option("-c,--config", args->config_file,
                  "TOML configuration (see configs/default.toml, [lockstep]); options below "
                  "override it");
  cmd->add_option("--min-tolerance", args->min_tolerance,
                  "Smallest tolerance tried, seconds (then 4x each, [lockstep] tolerance_scales)");
  cmd->add_option("--significance", args->significance,
                  "Expected falsely linked pairs per run (default 0.01)");
  cmd->add_option("--threads", args->threads, "CPU threads (0: all cores)");
  cmd->add_option("--backend", args->backend, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--max-memory", args->max_memory,
                  "Host memory the run may use (\"8G\"); a log that needs more is refused up "
                  "front with the numbers");
  cmd->add_flag("--overwrite", args->overwrite, "Replace the output file if it exists");
  cmd->add_flag("--json", args->json, "Print the summary as JSON instead of text");

  cmd->callback([&run, args] {
    run = [args] {
      SweepConfig config;
      if (!args->config_file.empty()) config = load_config(args->config_file);
      if (args->min_tolerance >= 0) config.lockstep.min_tolerance_s = args->min_tolerance;
      if (args->significance >= 0) config.lockstep.significance = args->significance;
      if (args->threads >= 0) config.run.threads = args->threads;
      if (!args->backend.empty()) config.run.backend = backend_kind_from_string(args->backend);
      if (!args->max_memory.empty()) {
        config.run.max_memory_bytes = parse_bytes(args->max_memory, "--max-memory");
      }
      validate_config(config, args->config_file.empty() ? "command line" : args->config_file);
      if (!args->overwrite && std::filesystem::exists(args->output)) {
        throw InputError(
            fmt::format("{}: output exists (use --overwrite to replace it)", args->output));
      }
      ThreadLimit threads(config.run.threads);
      const auto start = std::chrono::steady_clock::now();
      ActionLogReader log(args->input);
      log_info(fmt::format("lockstep: reading {} ({} actions{})", args->input, log.info().rows,
                           log.info().has_kind ? "" : ", no /actions/kind: all one kind"));
      const int64_t limit = config.run.max_memory_bytes;
      // What the process holds already (libraries, the index once built) counts too.
      auto refuse_over = [&](int64_t more, const char* what) {
        const int64_t need = more + resident_bytes_now();
        if (limit > 0 && need > limit) {
          throw InputError(fmt::format("{}: {} needs about {} for {} actions, over --max-memory {}",
                                       args->input, what, human_bytes(static_cast<double>(need)),
                                       log.info().rows, human_bytes(static_cast<double>(limit))));
        }
      };
      refuse_over(action_index_peak_bytes(log.info().rows), "indexing the action log");
      const ActionIndex index = build_action_index(log, config.lockstep.block_rows);
      const double index_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      BackendOptions backend_options;
      backend_options.threads = config.run.threads;
      backend_options.gpu_memory_bytes = config.run.gpu_memory_bytes;
      const std::unique_ptr<Backend> backend = make_backend(config.run.backend, backend_options);
      LockstepResult result = find_campaigns(*backend, index, config);
      result.seconds_index = index_seconds;
      nlohmann::json summary =
          lockstep_summary(index, result, config, args->input, config.output.top_clusters);
      summary["seconds"]["index"] = index_seconds;
      summary["seconds"]["total"] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      summary["output"] = args->output;
      write_lockstep_result(args->output, args->overwrite, index, result, summary);
      write_file_durably(summary_path_for(args->output), summary.dump(2) + "\n");
      if (args->json) {
        fmt::print("{}\n", summary.dump(2));
      } else {
        fmt::print("{}", render_lockstep_text(summary));
      }
      std::fflush(stdout);
      return kExitOk;
    };
  });
}

}  // namespace unfriend::cli
