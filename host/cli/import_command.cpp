// `unfriend import`: CSV account tables -> HDF5 input through a TOML feature recipe.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "host/cli/commands.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/importer/importer.h"

namespace unfriend::cli {

void add_import_command(CLI::App& app, CommandRun& run) {
  CLI::App* command = app.add_subcommand(
      "import", "Convert CSV account tables to an unfriend HDF5 input through a TOML recipe");
  command->footer(
      "Example: unfriend import --recipe configs/cresci-2017.toml "
      "--data-dir ../shared/data/cresci-2017-social-spambots -o cresci.h5");
  auto options = std::make_shared<ImportOptions>();
  auto dtype = std::make_shared<std::string>("float32");
  command->add_option("csv", options->csv_files,
                      "CSV files to import after the recipe's [[files]] (optional when the "
                      "recipe lists files); their rows get truth -1 unless --truth-column");
  command->add_option("-o,--output", options->output, "Output HDF5 file")->required();
  command->add_option("--recipe", options->recipe_path, "TOML feature recipe")->required();
  command->add_option("--data-dir", options->data_dir,
                      "Folder the recipe's file paths are relative to (default: the recipe's "
                      "folder)");
  command->add_option("--truth-column", options->truth_column,
                      "CSV column holding the truth farm id (empty or -1: genuine); overrides "
                      "the recipe's truth_column");
  command->add_option("--dtype", *dtype,
                      "Stored feature type: float32 (default), float16, float64");
  command->add_flag("--overwrite", options->overwrite, "Replace the output file if it exists");

  command->callback([&run, options, dtype] {
    run = [options, dtype] {
      options->dtype = stored_float_from_string(*dtype);
      const ImportSummary summary = run_import(*options);
      // Per-file lines are detail (hidden by --quiet); the total is the command's result.
      if (!is_quiet()) {
        for (size_t s = 0; s < summary.sources.size(); ++s) {
          std::string truth;
          if (summary.has_truth) {
            const auto& source = summary.sources[s];
            truth = source.truth ? fmt::format(", truth {}", *source.truth)
                                 : fmt::format(", {} in farms", summary.planted_rows[s]);
          }
          fmt::print("{}: {} rows{}\n", summary.sources[s].name, summary.source_rows[s], truth);
        }
      }
      fmt::print("imported {} rows x {} features from {} file(s){} -> {}\n", summary.rows,
                 summary.features, summary.sources.size(), summary.has_truth ? " with truth" : "",
                 options->output);
      std::fflush(stdout);
      return kExitOk;
    };
  });
}

}  // namespace unfriend::cli
