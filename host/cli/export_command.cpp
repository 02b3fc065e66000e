// `unfriend export RESULT.h5 --format csv|jsonl [-o OUT]`: one row per flagged or held account,
// for the tools that act on a result (host/report/export_rows.h has the columns).
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "host/cli/commands.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/report/export_rows.h"
#include "host/report/output_file.h"
#include "host/report/result_file.h"

namespace unfriend::cli {

namespace {

struct ExportArgs {
  std::string result, format, output = "-";
  bool overwrite = false;
};

}  // namespace

void add_export_command(CLI::App& app, CommandRun& run) {
  CLI::App* cmd = app.add_subcommand(
      "export", "Write the flagged and held accounts of a result as CSV or JSON lines");
  cmd->footer(
      "Columns: account_id, decision (flagged or held), cluster, dup_group, campaign (empty or "
      "null for none), score, evidence (a short line per group the account is in). Rows: "
      "/labels/decision 1 or 2 when recorded, otherwise every account in a cluster, duplicate "
      "group or campaign, in file order.\nExample: unfriend export result.h5 --format csv -o "
      "flagged.csv");
  auto args = std::make_shared<ExportArgs>();
  cmd->add_option("result", args->result, "Result HDF5 file (from `unfriend sweep` or `lockstep`)")
      ->required();
  cmd->add_option("--format", args->format, "csv or jsonl")
      ->required()
      ->check(CLI::IsMember({"csv", "jsonl"}));
  cmd->add_option("-o,--output", args->output, "File to write ('-' or none: stdout)");
  cmd->add_flag("--overwrite", args->overwrite, "Replace the output file if it exists");
  cmd->callback([&run, args] {
    run = [args] {
      const ExportFormat format = export_format_from_string(args->format);
      const bool to_stdout = args->output.empty() || args->output == "-";
      if (!to_stdout) check_text_output(args->output, args->overwrite, args->result);
      const ResultFile result = read_result_file(args->result);
      const std::string text = render_export(result, format);
      if (to_stdout) {
        if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
            std::fflush(stdout) != 0) {
          throw RuntimeFailure("stdout: write failed");
        }
      } else {
        write_text_output(args->output, text);
        log_info(fmt::format("export: {} -> {}", args->result, args->output));
      }
      return kExitOk;
    };
  });
}

}  // namespace unfriend::cli
