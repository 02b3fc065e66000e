// `unfriend evaluate`: scores a sweep result against ground truth.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "host/cli/commands.h"
#include "host/core/error.h"
#include "host/eval/evaluate.h"

namespace unfriend::cli {

namespace {

struct EvaluateOptions {
  std::string result;
  std::string truth;
  std::string json;
};

void write_json(const std::string& path, const std::string& text) {
  if (path == "-") {
    fmt::print("{}", text);
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(fmt::format("{}: cannot open for writing (--json)", path));
  out << text;
  out.flush();
  if (!out) throw RuntimeFailure(fmt::format("{}: write failed (--json)", path));
}

}  // namespace

void add_evaluate_command(CLI::App& app, CommandRun& run) {
  CLI::App* command = app.add_subcommand(
      "evaluate", "Score a sweep result against ground truth (accounts matched by /accounts/id)");
  command->footer("Example: unfriend evaluate out.h5 --truth synth.h5 --json metrics.json");
  auto options = std::make_shared<EvaluateOptions>();
  command->add_option("result", options->result, "Result HDF5 file written by `unfriend sweep`")
      ->required();
  command
      ->add_option("--truth", options->truth,
                   "Truth HDF5 file (from `unfriend synth` or a labelled import)")
      ->required();
  command->add_option("--json", options->json,
                      "Also write every metric as JSON to this file ('-': stdout instead of the "
                      "table)");

  command->callback([&run, options] {
    run = [options] {
      const EvalReport report = evaluate(options->result, options->truth);
      if (options->json != "-") fmt::print("{}", render_text(report));
      if (!options->json.empty()) write_json(options->json, render_json(report));
      std::fflush(stdout);
      return kExitOk;
    };
  });
}

}  // namespace unfriend::cli
