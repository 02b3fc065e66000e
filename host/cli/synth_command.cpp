// `unfriend synth`: a synthetic data set with planted fake-account networks and ground truth
// (feature vectors, or with --actions an action log with planted lockstep campaigns).
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "host/cli/commands.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/synth/action_synth.h"
#include "host/synth/synth.h"

namespace unfriend::cli {

namespace {

struct SynthOptions {
  std::string output;
  SynthParams params;
  std::string dtype = "float32";
  int64_t chunk_rows = 0;
  int gzip_level = 0;
  bool overwrite = false;
  bool actions = false;
  std::string setting = "default";
};

std::string describe(const SynthData& data, const std::string& output) {
  const SynthSummary& s = data.summary;
  auto rows = [&](AccountKind kind) { return s.kind_rows[static_cast<int>(kind)]; };
  return fmt::format(
      "synth: {} rows x {} dims (seed {}): genuine {} ({} communities, {} loners), "
      "dense_genuine {} ({} communities), click_farm {} ({} farms), mass_report {} ({} networks), "
      "near_duplicate {} ({} groups, {} exact) -> {}",
      data.rows, data.dims, data.params.seed, rows(AccountKind::genuine), s.communities, s.loners,
      rows(AccountKind::dense_genuine), s.dense_communities, rows(AccountKind::click_farm), s.farms,
      rows(AccountKind::mass_report), s.mass_report_networks, rows(AccountKind::near_duplicate),
      s.duplicate_groups, s.exact_duplicate_groups, output);
}

std::string describe(const ActionLog& log, const std::string& output) {
  const ActionSummary& s = log.summary;
  auto accounts = [&](AccountKind kind) { return s.kind_accounts[static_cast<int>(kind)]; };
  auto actions = [&](ActionKind kind) { return s.action_kinds[static_cast<int>(kind)]; };
  return fmt::format(
      "synth --actions: {} accounts (seed {}, setting {}): genuine {} ({} viral bursts), "
      "dense_genuine {} ({} fan bases), click_farm {} ({} farms), mass_report {} ({} networks), "
      "{} campaigns in cells; {} posts; {} actions (view {}, like {}, comment {}, share {}, report "
      "{}) -> {}",
      log.truth.account.size(), log.params.seed, to_string(log.params.setting),
      accounts(AccountKind::genuine), s.viral_bursts, accounts(AccountKind::dense_genuine),
      s.fan_bases, accounts(AccountKind::click_farm), s.farms, accounts(AccountKind::mass_report),
      s.networks, s.split_campaigns, s.posts, s.actions, actions(ActionKind::view),
      actions(ActionKind::like), actions(ActionKind::comment), actions(ActionKind::share),
      actions(ActionKind::report), output);
}

// `--actions`: the action-log world, its setting's knobs with the command line's rows, seed and
// threads.
int run_action_synth(const SynthOptions& options) {
  ActionSynthParams params = action_synth_params(action_setting_from_string(options.setting));
  params.rows = options.params.rows;
  params.seed = options.params.seed;
  params.threads = options.params.threads;
  validate(params);
  H5Writer writer(options.output, options.overwrite);
  const ActionLog log = generate_action_log(params);
  write_action_log(writer, log);
  writer.commit();
  fmt::print("{}\n", describe(log, options.output));
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

void add_synth_command(CLI::App& app, CommandRun& run) {
  CLI::App* command = app.add_subcommand(
      "synth",
      "Generate synthetic accounts with planted click farms, mass-reporting networks "
      "and near-duplicates, or with --actions an action log with planted lockstep campaigns, "
      "with ground truth under /truth");
  command->footer(
      "Example: unfriend synth -o synth.h5 --rows 1000000 --dims 64 --seed 7\n"
      "         unfriend synth --actions -o actions.h5 --rows 200000 --seed 1 --setting hard");
  auto options = std::make_shared<SynthOptions>();
  command->add_option("-o,--output", options->output, "Output HDF5 file")->required();
  command->add_option("--rows", options->params.rows, "Accounts (rows)")->capture_default_str();
  command->add_option("--dims", options->params.dims, "Features per account")
      ->capture_default_str();
  command->add_option("--seed", options->params.seed, "Random seed (same seed, same file)")
      ->capture_default_str();
  command->add_option("--dtype", options->dtype, "Stored feature type")
      ->check(CLI::IsMember({"float32", "float16", "float64"}))
      ->capture_default_str();
  command
      ->add_option("--chunk-rows", options->chunk_rows,
                   "Rows per HDF5 chunk (0: contiguous, or 4096 with --gzip)")
      ->capture_default_str();
  command->add_option("--gzip", options->gzip_level, "gzip level 0-9 (0: none)")
      ->capture_default_str();
  command
      ->add_option("--threads", options->params.threads,
                   "Generator threads (0: all cores; the output does not depend on it)")
      ->capture_default_str();
  command->add_flag("--overwrite", options->overwrite, "Replace the output file if it exists");
  command->add_flag("--actions", options->actions,
                    "Generate an action log (account, target, time, kind) with planted "
                    "lockstep campaigns instead of feature vectors; --rows counts accounts");
  command
      ->add_option("--setting", options->setting,
                   "Action-log difficulty (with --actions): hard has looser windows, lower "
                   "participation, more camouflage, bigger fan bases and more viral bursts")
      ->check(CLI::IsMember({"default", "hard"}))
      ->capture_default_str();

  command->callback([&run, options, command] {
    // The feature options mean nothing to an action log and are refused with --actions, as is
    // --setting without it.
    std::vector<std::string> misplaced;
    if (options->actions) {
      for (const char* name : {"--dims", "--dtype", "--chunk-rows", "--gzip"}) {
        if (command->count(name) > 0) misplaced.push_back(name);
      }
    } else if (command->count("--setting") > 0) {
      misplaced.push_back("--setting");
    }
    run = [options, misplaced] {
      if (!misplaced.empty()) {
        throw InputError(fmt::format("{}: {} --actions", misplaced.front(),
                                     options->actions ? "not used with" : "needs"));
      }
      if (options->actions) return run_action_synth(*options);
      SynthWriteOptions write;
      write.dtype = stored_float_from_string(options->dtype);
      write.chunk_rows = options->chunk_rows;
      write.gzip_level = options->gzip_level;
      write.overwrite = options->overwrite;
      // Everything that can be wrong with the command line fails before the generation.
      validate(options->params);
      validate(write);
      H5Writer writer(options->output, options->overwrite);
      const SynthData data = generate_synth(options->params);
      write_synth(writer, data, write);
      writer.commit();
      fmt::print("{}\n", describe(data, options->output));
      std::fflush(stdout);
      return kExitOk;
    };
  });
}

}  // namespace unfriend::cli
