// unfriend: finds fake-account networks (near-duplicate groups, click-farm clusters) in account
// behaviour vectors. Exit codes: 0 done, 1 runtime failure, 2 usage or bad input.
#include <fmt/format.h>
#include <hdf5.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <new>

#include "host/cli/commands.h"
#include "host/core/error.h"
#include "host/core/progress.h"

int main(int argc, char** argv) {
  using namespace unfriend;
  // HDF5 1.10 closes every file still open when the process exits, and crashes doing so on a
  // file whose H5Fclose failed (a write that ran out of disk): exit 139 instead of the error
  // line and exit 1. Every file we open is closed by its owner before exit, so that clean-up
  // has nothing to do: switch it off before the library starts.
  H5dont_atexit();
  CLI::App app{"unfriend: finds fake-account networks in account behaviour vectors", "unfriend"};
  app.set_version_flag("--version", std::string("unfriend ") + UNFRIEND_VERSION);
  app.require_subcommand(1);
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "Only errors and the final summary")->configurable(false);

  cli::CommandRun run;
  cli::add_sweep_command(app, run);
  cli::add_synth_command(app, run);
  cli::add_import_command(app, run);
  cli::add_evaluate_command(app, run);
  cli::add_inspect_command(app, run);
  cli::add_lockstep_command(app, run);
  cli::add_report_command(app, run);
  cli::add_export_command(app, run);
  cli::add_explain_command(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "unfriend: {}\n", e.what());
    return kExitUsage;
  }
  set_quiet(quiet);
  try {
    return run ? run() : kExitUsage;
  } catch (const InputError& e) {
    fmt::print(stderr, "unfriend: error: {}\n", e.what());
    return kExitUsage;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "unfriend: error: out of memory (lower --max-memory or block sizes)\n");
    return kExitRuntime;
  } catch (const std::exception& e) {
    fmt::print(stderr, "unfriend: error: {}\n", e.what());
    return kExitRuntime;
  }
}
