#include "host/pipeline/lockstep_output.h"

#include <fmt/format.h>

#include <algorithm>

#include "host/io/action_log.h"
#include "host/io/h5_writer.h"

namespace unfriend {

nlohmann::json lockstep_summary(const ActionIndex& index, const LockstepResult& r,
                                const SweepConfig& config, const std::string& input,
                                int top_campaigns) {
  nlohmann::json j;
  int64_t flagged = 0;
  for (int64_t c : r.campaign) flagged += c >= 0;
  j["input"] = input;
  j["accounts"] = r.accounts;
  j["actions"] = r.actions;
  j["slots"] = r.slots;
  j["first_time"] = r.first_time;
  j["last_time"] = r.last_time;
  j["eligible_accounts"] = r.eligible_accounts;
  j["candidate_pairs"] = r.candidate_pairs;
  j["linked_pairs"] = r.linked_pairs;
  j["attached_accounts"] = r.attached_accounts;
  j["group_campaigns"] = r.group_campaigns;
  j["campaigns"] = static_cast<int64_t>(r.campaigns.size());
  j["flagged"] = flagged;
  const LockstepThresholds& t = r.thresholds;
  j["thresholds"] = {{"tolerances_s", nlohmann::json::array()},
                     {"min_matches", t.min_matches},
                     {"min_size", t.min_size},
                     {"significance", t.significance},
                     {"max_log10_p", t.max_log10_p},
                     {"attach_level", t.attach_level},
                     {"attach_max_log10_p", t.attach_max_log10_p}};
  for (int c = 0; c < t.rule.scales; ++c)
    j["thresholds"]["tolerances_s"].push_back(t.rule.tolerance(c));
  j["seconds"] = {{"candidates", r.seconds_candidates},
                  {"verify", r.seconds_verify},
                  {"campaigns", r.seconds_campaigns}};
  j["index_bytes"] = index.bytes();
  nlohmann::json top = nlohmann::json::array();
  for (size_t i = 0; i < r.campaigns.size() && static_cast<int>(i) < top_campaigns; ++i) {
    const Campaign& c = r.campaigns[i];
    top.push_back({{"id", c.id},
                   {"size", c.size},
                   {"kind", action_kind_name(c.kind)},
                   {"targets", c.targets},
                   {"actions", c.actions},
                   {"median_delay_s", c.median_delay},
                   {"mean_similarity", c.mean_similarity},
                   {"score", c.score},
                   {"decided_by", c.decided_by},
                   {"first_time", c.first_time},
                   {"last_time", c.last_time},
                   {"representative", index.account_ids[static_cast<size_t>(c.representative)]}});
  }
  j["top_campaigns"] = top;
  j["config"] = config_to_json(config)["lockstep"];
  return j;
}

void write_campaigns(H5Writer& out, const ActionIndex& index, const LockstepResult& r) {
  std::vector<int64_t> id, size, representative, slots, targets, count, first, last, edges;
  std::vector<int32_t> kind_code;
  std::vector<std::string> kind, decided_by;
  std::vector<double> delay, mean_similarity, score;
  for (const Campaign& c : r.campaigns) {
    id.push_back(c.id);
    size.push_back(c.size);
    representative.push_back(index.account_ids[static_cast<size_t>(c.representative)]);
    kind_code.push_back(c.kind);
    kind.push_back(action_kind_name(c.kind));
    slots.push_back(c.slots);
    targets.push_back(c.targets);
    count.push_back(c.actions);
    first.push_back(c.first_time);
    last.push_back(c.last_time);
    delay.push_back(c.median_delay);
    edges.push_back(c.edges);
    mean_similarity.push_back(c.mean_similarity);
    score.push_back(c.score);
    decided_by.push_back(c.decided_by);
  }
  out.write_int64("/campaigns/id", id);
  out.write_int64("/campaigns/size", size);
  out.write_int64("/campaigns/representative", representative);
  out.write_strings("/campaigns/kind", kind);
  out.write_int32("/campaigns/kind_code", kind_code);
  out.write_int64("/campaigns/slots", slots);
  out.write_int64("/campaigns/targets", targets);
  out.write_int64("/campaigns/actions", count);
  out.write_int64("/campaigns/first_time", first);
  out.write_int64("/campaigns/last_time", last);
  out.write_float64("/campaigns/median_delay", delay);
  out.write_int64("/campaigns/edges", edges);
  out.write_float64("/campaigns/mean_similarity", mean_similarity);
  out.write_float64("/campaigns/score", score);
  out.write_strings("/campaigns/decided_by", decided_by);
  out.write_int64("/targets/id", r.target_id);
  out.write_int64("/targets/actions", r.target_actions);
  out.write_int64("/targets/reports", r.target_reports);
  out.write_int64("/targets/reports_from_campaigns", r.target_reports_from_campaigns);
  out.write_int64("/targets/campaigns", r.target_campaigns);
  const LockstepThresholds& t = r.thresholds;
  std::vector<int64_t> tolerances;
  for (int c = 0; c < t.rule.scales; ++c) tolerances.push_back(t.rule.tolerance(c));
  out.write_int64("/lockstep/tolerances_s", tolerances);
  out.set_attribute("/lockstep", "min_matches", static_cast<int64_t>(t.min_matches));
  out.set_attribute("/lockstep", "min_size", static_cast<int64_t>(t.min_size));
  out.set_attribute("/lockstep", "significance", t.significance);
  out.set_attribute("/lockstep", "max_log10_p", t.max_log10_p);
  out.set_attribute("/lockstep", "candidate_pairs", r.candidate_pairs);
  out.set_attribute("/lockstep", "linked_pairs", r.linked_pairs);
  out.set_attribute("/lockstep", "attach_level", t.attach_level);
  out.set_attribute("/lockstep", "attach_max_log10_p", t.attach_max_log10_p);
  out.set_attribute("/lockstep", "attached_accounts", r.attached_accounts);
}

void write_lockstep_result(const std::string& path, bool overwrite, const ActionIndex& index,
                           const LockstepResult& r, const nlohmann::json& summary) {
  H5Writer out(path, overwrite);
  const size_t n = static_cast<size_t>(r.accounts);
  out.write_int64("/accounts/id", index.account_ids);
  out.write_int64("/labels/campaign", r.campaign);
  std::vector<int64_t> actions(n), partner(n, -1);
  std::vector<int32_t> distinct(index.distinct_slots.begin(), index.distinct_slots.end());
  for (size_t a = 0; a < n; ++a) {
    actions[a] = index.account_offsets[a + 1] - index.account_offsets[a];
    if (r.partner[a] >= 0) partner[a] = index.account_ids[static_cast<size_t>(r.partner[a])];
  }
  out.write_int64("/accounts/actions", actions);
  out.write_int32("/accounts/distinct_slots", distinct);
  out.write_int64("/evidence/partner", partner);
  out.write_float32("/evidence/partner_log10_p", r.partner_log10_p);
  out.write_float32("/evidence/partner_similarity", r.partner_similarity);
  out.write_int32("/evidence/partner_matches", r.partner_matches);
  out.write_int32("/evidence/partner_shared", r.partner_shared);
  out.write_float32("/evidence/partner_chance", r.partner_chance);
  out.write_int32("/evidence/partner_tolerance_s", r.partner_tolerance);
  out.write_int32("/evidence/attach_links", r.attach_links);

  write_campaigns(out, index, r);
  out.set_attribute("/", "unfriend_command", "lockstep");
  out.set_attribute("/", "summary", summary.dump());
  out.commit();
}

std::string render_lockstep_text(const nlohmann::json& s) {
  const auto& t = s["thresholds"];
  std::string text = fmt::format(
      "lockstep: {} accounts, {} actions: {} campaigns, {} accounts flagged\n"
      "  matching: same target and kind within {} s; a link needs >= {} matched slots, "
      "synchronised beyond chance (p <= 10^{:.2f}, {} candidate pairs)\n",
      s["accounts"].get<int64_t>(), s["actions"].get<int64_t>(), s["campaigns"].get<int64_t>(),
      s["flagged"].get<int64_t>(), t["tolerances_s"].dump(), t["min_matches"].get<int>(),
      t["max_log10_p"].get<double>(), s["candidate_pairs"].get<int64_t>());
  for (const auto& c : s["top_campaigns"]) {
    text += fmt::format(
        "  campaign {:>4}: {:>6} accounts, {:<7} {:>6} targets, {:>8} actions, "
        "median delay {:>7.0f} s, similarity {:.3f}, score {:.2f} by {}\n",
        c["id"].get<int64_t>(), c["size"].get<int64_t>(), c["kind"].get<std::string>(),
        c["targets"].get<int64_t>(), c["actions"].get<int64_t>(), c["median_delay_s"].get<double>(),
        c["mean_similarity"].get<double>(), c["score"].get<double>(),
        c["decided_by"].get<std::string>());
  }
  return text;
}

}  // namespace unfriend
