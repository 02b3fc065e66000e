// Writing an action log: the log under /actions, where a detector reads it, and the ground truth
// under /truth, where only evaluation looks.
#include <fmt/format.h>

#include <stdexcept>

#include "host/io/h5_writer.h"
#include "host/synth/action_synth.h"

namespace unfriend {

namespace {
// Rows per chunk: a reader streaming the log in blocks gets whole chunks, and 10M actions make
// only ten chunks per column.
constexpr int64_t kChunkRows = int64_t{1} << 20;
}  // namespace

void write_action_log(H5Writer& writer, const ActionLog& log) {
  const ActionColumns& a = log.actions;
  const AccountTruth& t = log.truth;
  const size_t actions = a.account.size();
  const size_t accounts = t.account.size();
  if (a.target.size() != actions || a.time.size() != actions || a.kind.size() != actions ||
      t.kind.size() != accounts || t.campaign.size() != accounts ||
      t.community.size() != accounts || t.cell.size() != accounts) {
    throw std::invalid_argument(fmt::format(
        "write_action_log: inconsistent log ({} actions, {} accounts)", actions, accounts));
  }
  writer.write_int64("/actions/account", a.account, kChunkRows);
  writer.write_int64("/actions/target", a.target, kChunkRows);
  writer.write_int64("/actions/time", a.time, kChunkRows);
  writer.write_int32("/actions/kind", a.kind, kChunkRows);
  writer.set_attribute("/actions/kind", "codes", action_kind_codes());
  writer.write_int64("/truth/account", t.account, kChunkRows);
  writer.write_int32("/truth/kind", t.kind, kChunkRows);
  writer.set_attribute("/truth/kind", "codes", account_kind_codes());
  writer.write_int64("/truth/campaign", t.campaign, kChunkRows);
  writer.write_int64("/truth/community", t.community, kChunkRows);
  writer.write_int32("/truth/cell", t.cell, kChunkRows);
  writer.set_attribute("/", "generator", "unfriend synth --actions");
  writer.set_attribute("/", "seed", static_cast<int64_t>(log.params.seed));
  writer.set_attribute("/", "setting", to_string(log.params.setting));
  writer.set_attribute("/", "rows", static_cast<int64_t>(accounts));
  writer.set_attribute("/", "actions", static_cast<int64_t>(actions));
  writer.set_attribute("/", "params", to_json(log.params));
  writer.set_attribute("/", "version", std::string(UNFRIEND_VERSION));
}

void write_action_log(const std::string& path, const ActionLog& log, bool overwrite) {
  H5Writer writer(path, overwrite);
  write_action_log(writer, log);
  writer.commit();
}

}  // namespace unfriend
