// Each subcommand lives in its own file and registers itself on the top-level app.
// A subcommand's run function returns the exit code; it throws InputError for bad input or usage
// (exit 2) and anything else for runtime failures (exit 1); main() turns both into one line.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace unfriend::cli {

/// Set by the chosen subcommand's CLI11 callback; main() runs it after parsing.
using CommandRun = std::function<int()>;

void add_sweep_command(CLI::App& app, CommandRun& run);
void add_synth_command(CLI::App& app, CommandRun& run);
void add_import_command(CLI::App& app, CommandRun& run);
void add_evaluate_command(CLI::App& app, CommandRun& run);
void add_inspect_command(CLI::App& app, CommandRun& run);
void add_lockstep_command(CLI::App& app, CommandRun& run);
void add_report_command(CLI::App& app, CommandRun& run);
void add_export_command(CLI::App& app, CommandRun& run);
void add_explain_command(CLI::App& app, CommandRun& run);

}  // namespace unfriend::cli
