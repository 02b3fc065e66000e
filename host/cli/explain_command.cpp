// `unfriend explain RESULT.h5 --account ID`: why an account is flagged, held or not flagged.
#include <fmt/format.h>

#include <iostream>

#include "host/cli/commands.h"
#include "host/report/explain.h"
#include "host/report/result_file.h"

namespace unfriend::cli {

namespace {

struct ExplainArgs {
  std::string result, input, actions;
  int64_t account = 0;
  int nearest = 10;
  bool json = false;
};

}  // namespace

void add_explain_command(CLI::App& app, CommandRun& run) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "explain",
      "Why an account is flagged, held for review or not flagged, from the evidence "
      "and thresholds recorded in a sweep result");
  cmd->add_option("result", args->result, "Sweep result (HDF5)")->required();
  cmd->add_option("--account", args->account, "Account id")->required();
  cmd->add_option("--input", args->input,
                  "The features the sweep read: adds the nearest accounts and the features in "
                  "which its group is abnormally alike");
  cmd->add_option("--actions", args->actions,
                  "The action log the sweep read: adds its campaign's shared actions");
  cmd->add_option("--nearest", args->nearest, "Nearest accounts listed with --input (default 10)");
  cmd->add_flag("--json", args->json, "JSON instead of text");
  cmd->callback([args, &run]() {
    run = [args]() {
      const ResultFile result = read_result_file(args->result);
      ExplainRequest request;
      request.account = args->account;
      request.input_path = args->input;
      request.actions_path = args->actions;
      request.nearest = args->nearest;
      const nlohmann::json e = explain_account(result, request);
      if (args->json) {
        std::cout << e.dump(2) << "\n";
      } else {
        std::cout << explanation_text(e);
      }
      return 0;
    };
  });
}

}  // namespace unfriend::cli
