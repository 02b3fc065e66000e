// Rendering an EvalReport: a compact table for people, JSON with every number for scripts.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "host/eval/evaluate.h"

namespace unfriend {

namespace {

std::string number(const std::optional<double>& value) {
  return value ? fmt::format("{:.4f}", *value) : std::string("n/a");
}

nlohmann::ordered_json json_number(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json json_pairs(const PairMetrics& m) {
  nlohmann::ordered_json j;
  j["truth_pairs"] = m.truth_pairs;
  j["predicted_pairs"] = m.predicted_pairs;
  j["matched_pairs"] = m.matched_pairs;
  j["precision"] = json_number(m.precision);
  j["recall"] = json_number(m.recall);
  return j;
}

}  // namespace

std::string render_text(const EvalReport& r) {
  std::string out;
  out += fmt::format("evaluate: {} vs truth {}\n", r.result_file, r.truth_file);
  out += fmt::format("accounts: {} matched by id, {} not assessed (counted as not flagged)\n",
                     r.matched, r.not_assessed);
  if (r.truth_kind_derived) out += "note: truth has no /truth/kind; kinds derived from farm ids\n";
  if (r.truth_dup_missing) out += "note: truth has no /truth/dup_group; no planted duplicates\n";
  out += fmt::format("flagged: precision {}  recall {}  F1 {}  (TP {}  FP {}  FN {}  TN {})\n",
                     number(r.precision), number(r.recall), number(r.f1), r.true_positive,
                     r.false_positive, r.false_negative, r.true_negative);
  out += fmt::format("\n{:<16} {:>12} {:>12} {:>10}\n", "kind", "accounts", "flagged", "rate");
  for (const KindStats& k : r.kinds) {
    out += fmt::format("{:<16} {:>12} {:>12} {:>10}\n", k.name, k.accounts, k.flagged,
                       number(k.flag_rate));
  }
  out +=
      fmt::format("dense-genuine false-positive rate: {}\n\n", number(r.dense_false_positive_rate));
  out += fmt::format("clusters vs farms: ARI {:.4f}  pair precision {}  pair recall {}\n",
                     r.cluster_ari, number(r.farm_pairs.precision), number(r.farm_pairs.recall));
  out += fmt::format(
      "  {} predicted clusters, {} planted farms/networks, {} detected (>= half "
      "of the accounts flagged)\n",
      r.predicted_clusters, r.truth_farms, r.farms_detected);
  out += fmt::format(
      "duplicate pairs: precision {}  recall {}  ({} truth, {} predicted, {} "
      "matched)\n",
      number(r.dup_pairs.precision), number(r.dup_pairs.recall), r.dup_pairs.truth_pairs,
      r.dup_pairs.predicted_pairs, r.dup_pairs.matched_pairs);
  out += fmt::format("  {} predicted duplicate groups, {} planted\n", r.predicted_dup_groups,
                     r.truth_dup_groups);
  return out;
}

std::string render_json(const EvalReport& r) {
  nlohmann::ordered_json j;
  j["result_file"] = r.result_file;
  j["truth_file"] = r.truth_file;
  j["matched"] = r.matched;
  j["not_assessed"] = r.not_assessed;
  j["truth_kind_derived"] = r.truth_kind_derived;
  j["truth_dup_group_missing"] = r.truth_dup_missing;

  nlohmann::ordered_json accounts;
  accounts["flagged"] = r.flagged;
  accounts["truth_positive"] = r.truth_positive;
  accounts["true_positive"] = r.true_positive;
  accounts["false_positive"] = r.false_positive;
  accounts["false_negative"] = r.false_negative;
  accounts["true_negative"] = r.true_negative;
  accounts["precision"] = json_number(r.precision);
  accounts["recall"] = json_number(r.recall);
  accounts["f1"] = json_number(r.f1);
  j["accounts"] = accounts;

  nlohmann::ordered_json kinds;
  for (const KindStats& k : r.kinds) {
    nlohmann::ordered_json entry;
    entry["code"] = k.code;
    entry["accounts"] = k.accounts;
    entry["flagged"] = k.flagged;
    entry["flag_rate"] = json_number(k.flag_rate);
    kinds[k.name] = entry;
  }
  j["kinds"] = kinds;
  j["dense_false_positive_rate"] = json_number(r.dense_false_positive_rate);

  nlohmann::ordered_json clusters;
  clusters["predicted_clusters"] = r.predicted_clusters;
  clusters["truth_farms"] = r.truth_farms;
  clusters["farms_detected"] = r.farms_detected;
  clusters["ari"] = r.cluster_ari;
  clusters["pairs"] = json_pairs(r.farm_pairs);
  j["clusters"] = clusters;

  nlohmann::ordered_json duplicates;
  duplicates["predicted_groups"] = r.predicted_dup_groups;
  duplicates["truth_groups"] = r.truth_dup_groups;
  duplicates["pairs"] = json_pairs(r.dup_pairs);
  j["duplicates"] = duplicates;
  return j.dump(2) + "\n";
}

}  // namespace unfriend
