// `unfriend inspect`: what an HDF5 file holds and whether it is valid unfriend input.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "host/cli/commands.h"
#include "host/core/error.h"
#include "host/io/h5_probe.h"
#include "host/io/inspect.h"

namespace unfriend::cli {

namespace {

struct InspectOptions {
  std::string file;
  DescribeOptions describe;
  bool json = false;
  CLI::Option* ids_option = nullptr;
};

int run_inspect(InspectOptions& options) {
  // An --ids named on the command line must exist; the default one is optional.
  options.describe.ids_required = options.ids_option != nullptr && options.ids_option->count() > 0;
  probe_input_in_child(options.file, options.describe.features_path, options.describe.ids_path);
  const FileDescription description = describe_file(options.file, options.describe);
  // Nothing to list when the file could not be opened as HDF5: the reason says why.
  if (!description.is_hdf5) throw InputError(description.reason);
  if (options.json) {
    // replace: attribute strings need not be valid UTF-8, the listing must still print.
    fmt::print("{}\n", description_to_json(description)
                           .dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    fmt::print("{}", format_description(description));
  }
  std::fflush(stdout);
  // An action log is judged as one; any other file as features.
  if (description.actions.present) {
    if (!description.actions.valid) throw InputError(description.actions.reason);
  } else if (!description.valid_input) {
    throw InputError(description.reason);
  }
  return kExitOk;
}

}  // namespace

void add_inspect_command(CLI::App& app, CommandRun& run) {
  CLI::App* command = app.add_subcommand(
      "inspect", "Describe an HDF5 file and check that it is valid unfriend input");
  command->footer(
      "Exit status 0 when FILE is valid input, 2 (with the reason) when it is not.\n"
      "Example: unfriend inspect accounts.h5 --features /accounts/features --json");
  auto options = std::make_shared<InspectOptions>();
  command->add_option("file", options->file, "HDF5 file to describe")->required();
  command
      ->add_option("--features", options->describe.features_path,
                   "Dataset holding the [accounts x features] matrix")
      ->capture_default_str();
  options->ids_option = command
                            ->add_option("--ids", options->describe.ids_path,
                                         "Dataset holding the account ids (1-D integers)")
                            ->capture_default_str();
  command->add_flag("--json", options->json, "Print the description as JSON");
  command->add_flag("--full", options->describe.read_all_rows,
                    "Also read every row: checks that every chunk decodes and all values are "
                    "finite (reads the whole file)");
  command->callback([&run, options] { run = [options] { return run_inspect(*options); }; });
}

}  // namespace unfriend::cli
