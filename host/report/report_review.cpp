// The decision sections of the report: the review queue (groups holding accounts with decision
// 2, held for human review) and the changes since the previous run (root attribute "diff").
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "host/report/html.h"
#include "host/report/report_sections.h"

namespace unfriend::report {

namespace {

struct QueueEntry {
  std::string kind;
  int64_t id, size, held, flagged;
  std::string anchor, evidence;
  int64_t protected_members = -1, cleared_members = -1;  // from /review; -1: not recorded
};

html::Cell json_cell(const nlohmann::json& v) {
  if (v.is_number_integer()) return html::id_cell(v.get<int64_t>());
  if (v.is_number()) return html::number_cell(v.get<double>(), 6);
  return v.is_null() ? html::missing_cell() : html::text_cell(json_text(v));
}

// The order changes are listed in: what a reviewer must look at first.
int change_rank(const std::string& change) {
  static const char* kOrder[] = {"new", "grew", "merged", "split", "shrank", "same"};
  for (int i = 0; i < 6; ++i) {
    if (change == kOrder[i]) return i;
  }
  return 6;
}

std::string field_text(const nlohmann::json& entry, const char* key) {
  return entry.is_object() && entry.contains(key) ? json_text(entry[key]) : std::string();
}

int64_t field_int(const nlohmann::json& entry, const char* key) {
  return entry.is_object() && entry.contains(key) && entry[key].is_number()
             ? entry[key].get<int64_t>()
             : 0;
}

}  // namespace

std::string review_section(const Context& c) {
  const ResultFile& r = c.result;
  if (!r.has_decisions()) return {};
  std::string out = "<section id=\"review\"><h2>Review queue</h2>\n";
  out += fmt::format(
      "<p>Decisions (/labels/decision): <b>{}</b> flagged, <b>{}</b> held for human review, {} not "
      "flagged.</p>\n",
      html::count(c.decision_counts[kDecisionFlagged]),
      html::count(c.decision_counts[kDecisionHeld]), html::count(c.decision_counts[kDecisionNone]));
  std::vector<QueueEntry> queue;
  for (size_t i = 0; i < r.clusters.rows(); ++i) {
    const Members& m = c.cluster_members[i];
    if (m.held > 0)
      queue.push_back({"cluster", r.clusters.id[i], r.clusters.size[i], m.held, m.flagged,
                       c.cluster_anchor(i), cluster_evidence(r.clusters, i)});
  }
  for (size_t i = 0; i < r.dup_groups.rows(); ++i) {
    const Members& m = c.dup_members[i];
    if (m.held > 0)
      queue.push_back({"dup_group", r.dup_groups.id[i], r.dup_groups.size[i], m.held, m.flagged, "",
                       dup_group_evidence(r.dup_groups, i)});
  }
  for (size_t i = 0; i < r.campaigns.rows(); ++i) {
    const Members& m = c.campaign_members[i];
    if (m.held > 0)
      queue.push_back({"campaign", r.campaigns.id[i], r.campaigns.size[i], m.held, m.flagged, "",
                       campaign_evidence(r.campaigns, i)});
  }
  // The queue the sweep recorded (/review) adds why each group is held: its protected and
  // cleared members. A recorded group that no held account points to is listed too.
  if (r.has_review) {
    const ReviewTable& q = r.review;
    std::map<std::pair<std::string, int64_t>, size_t> listed_at;
    for (size_t i = 0; i < queue.size(); ++i) listed_at[{queue[i].kind, queue[i].id}] = i;
    for (size_t i = 0; i < q.rows(); ++i) {
      const auto [it, added] = listed_at.try_emplace({q.kind[i], q.id[i]}, queue.size());
      if (added) {
        queue.push_back({q.kind[i], q.id[i], q.size.empty() ? 0 : q.size[i], 0, 0,
                         q.kind[i] == "cluster" ? c.cluster_anchor_for_id(q.id[i]) : "", ""});
      }
      QueueEntry& e = queue[it->second];
      if (!q.protected_members.empty()) e.protected_members = q.protected_members[i];
      if (!q.cleared_members.empty()) e.cleared_members = q.cleared_members[i];
    }
  }
  if (queue.empty() && c.held_outside_groups == 0) {
    out += "<p class=\"note\">No account is held for review.</p></section>\n";
    return out;
  }
  std::stable_sort(queue.begin(), queue.end(), [](const QueueEntry& a, const QueueEntry& b) {
    return a.held != b.held ? a.held > b.held : a.size > b.size;
  });
  const size_t listed = std::min(c.options.max_table_rows, queue.size());
  std::vector<html::Column> columns = {{"kind"},
                                       {"id"},
                                       {"size", "accounts"},
                                       {"held", "members with decision 2 (held for human review)"},
                                       {"flagged", "members with decision 1"}};
  if (r.has_review) {
    columns.push_back({"protected", "members on the protect list (/review/protected)"});
    columns.push_back({"cleared", "members cleared on appeal (/review/cleared)"});
  }
  columns.push_back({"evidence"});
  html::Table table("review-table", columns);
  auto recorded = [](int64_t n) { return n < 0 ? html::missing_cell() : html::int_cell(n); };
  for (size_t i = 0; i < listed; ++i) {
    const QueueEntry& e = queue[i];
    std::vector<html::Cell> cells = {html::text_cell(e.kind), html::link_cell(e.id, e.anchor),
                                     html::int_cell(e.size), html::int_cell(e.held),
                                     html::int_cell(e.flagged)};
    if (r.has_review) {
      cells.push_back(recorded(e.protected_members));
      cells.push_back(recorded(e.cleared_members));
    }
    cells.push_back(e.evidence.empty() ? html::missing_cell() : html::text_cell(e.evidence));
    table.add_row(std::move(cells));
  }
  out += fmt::format(
      "<p class=\"note\">{} groups hold accounts that wait for a reviewer; the most "
      "held first.</p>\n",
      html::count(static_cast<int64_t>(queue.size())));
  out += omitted_note(listed, queue.size(), "groups", "first") + table.render();
  if (c.held_outside_groups > 0) {
    std::string ids;
    for (int64_t id : c.held_outside_sample)
      ids += fmt::format("{}{}", ids.empty() ? "" : ", ", id);
    out += fmt::format(
        "<p>{} held accounts are in no group (first ids: {}{}).</p>\n",
        html::count(c.held_outside_groups), ids,
        c.held_outside_groups > static_cast<int64_t>(c.held_outside_sample.size()) ? ", …" : "");
  }
  out += "</section>\n";
  return out;
}

std::string diff_section(const Context& c) {
  const ResultFile& r = c.result;
  if (r.diff_text.empty()) return {};
  std::string out = "<section id=\"changes\"><h2>Changes since the previous run</h2>\n";
  if (r.diff_unreadable || !r.diff.is_object()) {
    out += fmt::format(
        "<p class=\"note alarm\">The result's <code>diff</code> attribute is not a JSON "
        "object, so the changes cannot be shown. It begins: <code>{}</code></p></section>\n",
        html::escape(r.diff_text.substr(0, 300)));
    return out;
  }
  const nlohmann::json& d = r.diff;
  std::vector<std::pair<std::string, std::string>> kv;
  kv.push_back({"previous result", html::escape(field_text(d, "previous"))});
  kv.push_back({"newly flagged accounts", html::escape(field_text(d, "newly_flagged"))});
  kv.push_back({"no longer flagged accounts", html::escape(field_text(d, "no_longer_flagged"))});
  const nlohmann::json groups =
      d.contains("groups") && d["groups"].is_array() ? d["groups"] : nlohmann::json::array();
  const nlohmann::json dissolved = d.contains("dissolved") && d["dissolved"].is_array()
                                       ? d["dissolved"]
                                       : nlohmann::json::array();
  std::map<std::string, int64_t> by_change;
  for (const auto& g : groups) ++by_change[field_text(g, "change")];
  std::string changes;
  for (const auto& [change, n] : by_change) {
    changes +=
        fmt::format("{}{} {}", changes.empty() ? "" : ", ", html::count(n), html::escape(change));
  }
  kv.push_back({"groups", changes.empty() ? "none" : changes});
  kv.push_back({"dissolved groups (in the previous run, gone now)",
                html::count(static_cast<int64_t>(dissolved.size()))});
  out += html::key_value_table(kv);

  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int ra = change_rank(field_text(groups[a], "change")),
              rb = change_rank(field_text(groups[b], "change"));
    return ra != rb ? ra < rb : field_int(groups[a], "size") > field_int(groups[b], "size");
  });
  const size_t listed = std::min(c.options.max_table_rows, order.size());
  html::Table table("changes-table", {{"kind"},
                                      {"id"},
                                      {"previous id"},
                                      {"change"},
                                      {"size"},
                                      {"previous size"},
                                      {"size change"}});
  for (size_t i = 0; i < listed; ++i) {
    const nlohmann::json& g = groups[order[i]];
    const std::string kind = field_text(g, "kind");
    const nlohmann::json id = g.is_object() && g.contains("id") ? g["id"] : nlohmann::json(nullptr);
    html::Cell id_cell = json_cell(id);
    if (kind == "cluster" && id.is_number_integer()) {
      id_cell = html::link_cell(id.get<int64_t>(), c.cluster_anchor_for_id(id.get<int64_t>()));
    }
    const nlohmann::json previous =
        g.is_object() && g.contains("previous_size") ? g["previous_size"] : nlohmann::json(nullptr);
    const nlohmann::json size =
        g.is_object() && g.contains("size") ? g["size"] : nlohmann::json(nullptr);
    html::Cell delta = html::missing_cell();
    if (size.is_number_integer() && previous.is_number_integer()) {
      const int64_t change = size.get<int64_t>() - previous.get<int64_t>();
      delta =
          html::html_cell((change > 0 ? "+" : "") + html::count(change), fmt::format("{}", change));
      delta.numeric = true;
    }
    const std::string change = field_text(g, "change");
    table.add_row({html::text_cell(kind), id_cell,
                   json_cell(g.is_object() && g.contains("previous_id") ? g["previous_id"]
                                                                        : nlohmann::json(nullptr)),
                   html::html_cell(change == "new" ? "<span class=\"badge new\">new</span>"
                                                   : html::escape(change),
                                   change),
                   json_cell(size), json_cell(previous), delta});
  }
  if (!groups.empty()) {
    out += "<h3>Groups of this run</h3>\n" +
           omitted_note(listed, groups.size(), "groups", "first") + table.render();
  }
  if (!dissolved.empty()) {
    const size_t shown = std::min(c.options.max_table_rows, dissolved.size());
    html::Table gone("dissolved-table", {{"kind"},
                                         {"previous id"},
                                         {"change", "dissolved, or split into smaller groups"},
                                         {"previous size"}});
    for (size_t i = 0; i < shown; ++i) {
      const nlohmann::json& g = dissolved[i];
      const std::string change = field_text(g, "change");
      gone.add_row(
          {html::text_cell(field_text(g, "kind")),
           json_cell(g.is_object() && g.contains("previous_id") ? g["previous_id"]
                                                                : nlohmann::json(nullptr)),
           change.empty() ? html::text_cell("dissolved") : html::text_cell(change),
           json_cell(g.is_object() && g.contains("previous_size") ? g["previous_size"]
                                                                  : nlohmann::json(nullptr))});
    }
    out += "<h3>Dissolved groups</h3>\n" +
           omitted_note(shown, dissolved.size(), "dissolved groups", "first") + gone.render();
  }
  out += "</section>\n";
  return out;
}

}  // namespace unfriend::report
