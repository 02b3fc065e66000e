// unfriend sweep INPUT.h5 -o OUTPUT.h5 [--config FILE.toml] [overrides]
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "host/cli/commands.h"
#include "host/core/config.h"
#include "host/core/error.h"
#include "host/pipeline/sweep.h"

namespace unfriend::cli {

namespace {
struct SweepArgs {
  std::string input, output, config_file;
  std::string backend, knn_mode, metric, on_invalid, features, ids, max_memory, gpu_memory;
  int k = 0, threads = -1, min_pts = 0;
  int64_t block_rows = -1, seed = -1;
  bool overwrite = false, write_graph = false, no_standardize = false, json = false;
};
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

  cmd->callback([args, &run]() {
    run = [args]() {
      SweepRequest request;
      request.input_path = args->input;
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
      if (!args->max_memory.empty()) c.run.max_memory_bytes = parse_bytes(args->max_memory, "--max-memory");
      if (!args->gpu_memory.empty()) c.run.gpu_memory_bytes = parse_bytes(args->gpu_memory, "--gpu-memory");
      if (args->k > 0) c.knn.k = args->k;
      if (args->threads >= 0) c.run.threads = args->threads;
      if (args->min_pts > 0) c.clusters.min_pts = args->min_pts;
      if (args->block_rows >= 0) c.input.block_rows = args->block_rows;
      if (args->seed >= 0) c.knn.seed = static_cast<uint64_t>(args->seed);
      if (args->no_standardize) c.preprocess.standardize = false;
      if (args->write_graph) c.output.write_graph = true;
      if (args->overwrite) c.output.overwrite = true;
      validate_config(c, args->config_file.empty() ? "command line" : args->config_file);
      SweepSummary summary = run_sweep(request);
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
