// `unfriend report RESULT.h5 -o REPORT.html`: one self-contained HTML page over a result, for a
// reviewer working offline (host/report/report_page.h says what is on it).
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "host/cli/commands.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/report/output_file.h"
#include "host/report/report_page.h"
#include "host/report/result_file.h"

namespace unfriend::cli {

namespace {

struct ReportArgs {
  std::string result, output;
  bool overwrite = false;
};

}  // namespace

void add_report_command(CLI::App& app, CommandRun& run) {
  CLI::App* cmd = app.add_subcommand(
      "report", "Write one self-contained HTML page about a result, readable offline");
  cmd->footer(
      "The page: summary, thresholds drawn on the core-distance and score histograms, sortable "
      "cluster, duplicate-group and campaign tables, per-cluster profiles, campaign timelines, the "
      "review queue and the changes since the previous run when the result records them. It "
      "loads nothing from outside the file.\nExample: unfriend report result.h5 -o result.html");
  auto args = std::make_shared<ReportArgs>();
  cmd->add_option("result", args->result, "Result HDF5 file (from `unfriend sweep` or `lockstep`)")
      ->required();
  cmd->add_option("-o,--output", args->output, "HTML file to write (new; see --overwrite)")
      ->required();
  cmd->add_flag("--overwrite", args->overwrite, "Replace the output file if it exists");
  cmd->callback([&run, args] {
    run = [args] {
      const auto start = std::chrono::steady_clock::now();
      check_text_output(args->output, args->overwrite, args->result);
      const ResultFile result = read_result_file(args->result);
      const std::string page = render_report(result);
      write_text_output(args->output, page);
      log_info(fmt::format(
          "report: {} ({} accounts, {} clusters, {} duplicate groups, {} campaigns) -> {} ({} KB, "
          "{:.2f} s)",
          args->result, result.accounts(), result.clusters.rows(), result.dup_groups.rows(),
          result.campaigns.rows(), args->output, (page.size() + 512) / 1024,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
      return kExitOk;
    };
  });
}

}  // namespace unfriend::cli
