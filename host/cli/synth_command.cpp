// `unfriend synth`: a synthetic data set with planted fake-account networks and ground truth.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "host/cli/commands.h"
#include "host/core/error.h"
#include "host/core/progress.h"
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

}  // namespace

void add_synth_command(CLI::App& app, CommandRun& run) {
  CLI::App* command = app.add_subcommand(
      "synth",
      "Generate synthetic accounts with planted click farms, mass-reporting networks "
      "and near-duplicates, with ground truth under /truth");
  command->footer("Example: unfriend synth -o synth.h5 --rows 1000000 --dims 64 --seed 7");
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

  command->callback([&run, options] {
    run = [options] {
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
