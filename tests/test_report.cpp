// End-to-end tests of `unfriend report` (one self-contained HTML page) and `unfriend export`
// (CSV / JSON lines of the flagged and held accounts): on real sweeps of a small world with
// clusters, near-duplicate groups and campaigns (a second sweep with --previous and --protect
// for decisions and changes), on hand-made results (old files without decisions, every kind of
// change, hostile strings), the refusals (bad input, existing output), and the page rendered in
// headless Chromium without console errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

namespace fs = std::filesystem;
using test::run_unfriend;

std::string quote(const std::string& s) { return "'" + s + "'"; }

// ---------------------------------------------------------------------------------------------
// A real world: features from `synth`, account ids and an action log from `synth --actions`,
// swept once, then again with --previous (the first result) and --protect (three members of
// its largest cluster), so that the second result has decisions, a review queue and a diff.

struct World {
  std::string dir, first, second;
};

void must(const test::CommandResult& r, const std::string& what) {
  if (r.exit_code != 0) {
    throw std::runtime_error(what + " failed (exit " + std::to_string(r.exit_code) + "): " + r.err);
  }
}

const World& world() {
  static const World w = [] {
    World made;
    made.dir = (fs::temp_directory_path() / ("unfriend-test-" + std::to_string(::getpid())) /
                "report-world")
                   .string();
    fs::remove_all(made.dir);
    fs::create_directories(made.dir);
    const std::string actions = made.dir + "/actions.h5", raw = made.dir + "/raw.h5",
                      features = made.dir + "/features.h5";
    must(run_unfriend("-q synth --actions -o " + quote(actions) + " --rows 5000 --seed 2"),
         "synth --actions");
    must(run_unfriend("-q synth -o " + quote(raw) + " --rows 5000 --dims 16 --seed 3"), "synth");
    {
      const H5Reader in(raw), log(actions);
      const std::vector<float> values = in.read_float32("/accounts/features");
      const std::vector<int64_t> shape = in.shape("/accounts/features");
      H5Writer out(features, true);
      out.write_matrix("/accounts/features", values.data(), shape[0], shape[1]);
      out.write_int64("/accounts/id", log.read_int64("/truth/account"));
      out.commit();
    }
    made.first = made.dir + "/first.h5";
    must(run_unfriend("-q sweep " + quote(features) + " --actions " + quote(actions) + " -o " +
                      quote(made.first) + " --backend cpu"),
         "first sweep");
    {
      const H5Reader first(made.first);
      const auto ids = first.read_int64("/accounts/id");
      const auto cluster = first.read_int64("/labels/cluster");
      const auto cluster_ids = first.read_int64("/clusters/id");
      const auto sizes = first.read_int64("/clusters/size");
      if (cluster_ids.empty()) throw std::runtime_error("the first sweep found no cluster");
      const int64_t largest =
          cluster_ids[std::max_element(sizes.begin(), sizes.end()) - sizes.begin()];
      std::ofstream list(made.dir + "/protect.txt");
      int listed = 0;
      for (size_t i = 0; i < ids.size() && listed < 3; ++i) {
        if (cluster[i] == largest) {
          list << ids[i] << "\n";
          ++listed;
        }
      }
    }
    made.second = made.dir + "/second.h5";
    must(run_unfriend("-q sweep " + quote(features) + " --actions " + quote(actions) + " -o " +
                      quote(made.second) + " --backend cpu --previous " + quote(made.first) +
                      " --protect " + quote(made.dir + "/protect.txt")),
         "second sweep");
    return made;
  }();
  return w;
}

// ---------------------------------------------------------------------------------------------
// Hand-made results.

struct Crafted {
  bool decisions = false;
  std::string diff;     // root attribute "diff" ("" for none)
  std::string hostile;  // put into kind, decided_by and input_path
};

// 12 accounts: rows 0-3 in cluster 0, rows 4-6 in cluster 7 (ids need not be dense), rows 6-7
// in duplicate group 0, row 11 not assessed. With decisions: rows 0 and 8 held (8 in no
// group), rows 1-7 flagged, the others not.
void write_crafted(const std::string& path, const Crafted& c) {
  H5Writer w(path, true);
  std::vector<int64_t> ids, cluster, dup;
  std::vector<float> score;
  for (int64_t i = 0; i < 12; ++i) {
    ids.push_back(1000 + i);
    cluster.push_back(i <= 3 ? 0 : (i <= 6 ? 7 : (i == 11 ? -2 : -1)));
    dup.push_back(i == 6 || i == 7 ? 0 : (i == 11 ? -2 : -1));
    score.push_back(i == 11 ? NAN : 0.5f * static_cast<float>(i));
  }
  w.write_int64("/accounts/id", ids);
  w.write_int64("/labels/cluster", cluster);
  w.write_int64("/labels/dup_group", dup);
  w.write_float32("/labels/score", score);
  if (c.decisions) {
    std::vector<int8_t> decision(12, 0);
    for (int i = 1; i <= 7; ++i) decision[static_cast<size_t>(i)] = 1;
    decision[0] = 2;
    decision[8] = 2;
    w.write_int8("/labels/decision", decision);
  }
  const std::string odd = c.hostile.empty() ? "click_farm" : c.hostile;
  w.write_int64("/clusters/id", {0, 7});
  w.write_int64("/clusters/size", {4, 3});
  w.write_strings("/clusters/kind", {"click_farm", odd});
  w.write_strings("/clusters/decided_by", {"tightness+cohesion", odd});
  w.write_float32("/clusters/mean_similarity", {0.98f, 0.97f});
  w.write_float32("/clusters/tightness", {4.2f, INFINITY});
  w.write_float32("/clusters/score", {5.5f, 6.5f});
  w.write_float32("/clusters/cohesion", {0.97f, 0.9f});
  w.write_int64("/dup_groups/id", {0});
  w.write_int64("/dup_groups/size", {2});
  w.write_float32("/dup_groups/min_similarity", {0.99999f});
  w.set_attribute("/", "thresholds",
                  R"({"min_pts":8,"genuine_log_core_distance":-0.5,"genuine_log_spread":0.1,)"
                  R"("eps_distance":0.3,"eps_rule":"robust_z","duplicate_distance":0.01,)"
                  R"("valley_found":false})");
  w.set_attribute("/", "input_path", c.hostile.empty() ? "crafted-input.h5" : c.hostile);
  if (!c.diff.empty()) w.set_attribute("/", "diff", c.diff);
  w.commit();
}

const char* kFullDiff = R"({"previous": "last-week.h5",
  "groups": [{"kind": "cluster", "id": 0, "previous_id": 3, "change": "grew", "size": 4, "previous_size": 2},
             {"kind": "cluster", "id": 7, "previous_id": null, "change": "new", "size": 3, "previous_size": null},
             {"kind": "dup_group", "id": 0, "previous_id": 0, "change": "same", "size": 2, "previous_size": 2}],
  "dissolved": [{"kind": "cluster", "previous_id": 5, "previous_size": 40},
                {"kind": "campaign", "previous_id": 2, "previous_size": 12, "change": "split"}],
  "newly_flagged": 5, "no_longer_flagged": 17})";

// ---------------------------------------------------------------------------------------------
// Reading what the commands wrote.

// RFC 4180: fields separated by commas, quoted fields may hold commas, quotes ("") and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch == '"') {
      quoted = true;
      any = true;
    } else if (ch == ',') {
      row.push_back(field);
      field.clear();
      any = true;
    } else if (ch == '\n') {
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
      any = false;
    } else {
      field += ch;
      any = true;
    }
  }
  if (any) {
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

// What export must produce, from the result's own labels.
struct Expected {
  int64_t id;
  std::string decision;
  int64_t cluster, dup_group, campaign;  // -1: none
  float score;
};

std::vector<Expected> expected_rows(const std::string& path) {
  const H5Reader r(path);
  const auto ids = r.read_int64("/accounts/id");
  const auto cluster = r.read_int64("/labels/cluster");
  const auto dup = r.read_int64("/labels/dup_group");
  const auto campaign = r.has("/labels/campaign") ? r.read_int64("/labels/campaign")
                                                  : std::vector<int64_t>(ids.size(), -1);
  const auto decision =
      r.has("/labels/decision") ? r.read_int64("/labels/decision") : std::vector<int64_t>();
  const auto score = r.read_float32("/labels/score");
  std::vector<Expected> rows;
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool grouped = cluster[i] >= 0 || dup[i] >= 0 || campaign[i] >= 0;
    const int64_t d = decision.empty() ? (grouped ? 1 : 0) : decision[i];
    if (d == 0) continue;
    rows.push_back({ids[i], d == 2 ? "held" : "flagged", std::max<int64_t>(cluster[i], -1),
                    std::max<int64_t>(dup[i], -1), std::max<int64_t>(campaign[i], -1), score[i]});
  }
  return rows;
}

int64_t group_field(const std::string& text) { return text.empty() ? -1 : std::stoll(text); }

void expect_csv_matches(const std::string& csv, const std::vector<Expected>& want) {
  const auto rows = parse_csv(csv);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0], (std::vector<std::string>{"account_id", "decision", "cluster", "dup_group",
                                               "campaign", "score", "evidence"}));
  ASSERT_EQ(rows.size(), want.size() + 1);
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& got = rows[i + 1];
    ASSERT_EQ(got.size(), 7u) << "row " << i;
    EXPECT_EQ(std::stoll(got[0]), want[i].id);
    EXPECT_EQ(got[1], want[i].decision) << want[i].id;
    EXPECT_EQ(group_field(got[2]), want[i].cluster) << want[i].id;
    EXPECT_EQ(group_field(got[3]), want[i].dup_group) << want[i].id;
    EXPECT_EQ(group_field(got[4]), want[i].campaign) << want[i].id;
    if (std::isfinite(want[i].score)) {
      EXPECT_EQ(std::stof(got[5]), want[i].score) << want[i].id;  // shortest round-trip text
    } else {
      EXPECT_EQ(got[5], "");
    }
    EXPECT_FALSE(got[6].empty());
    if (want[i].cluster >= 0) {
      EXPECT_NE(got[6].find("cluster " + std::to_string(want[i].cluster) + ": "), std::string::npos)
          << got[6];
    }
  }
}

void expect_jsonl_matches(const std::string& jsonl, const std::vector<Expected>& want) {
  std::istringstream lines(jsonl);
  std::string line;
  size_t i = 0;
  auto group = [](const nlohmann::json& v) { return v.is_null() ? int64_t{-1} : v.get<int64_t>(); };
  while (std::getline(lines, line)) {
    ASSERT_LT(i, want.size());
    const nlohmann::json row = nlohmann::json::parse(line);
    EXPECT_EQ(row["account_id"].get<int64_t>(), want[i].id);
    EXPECT_EQ(row["decision"], want[i].decision);
    EXPECT_EQ(group(row["cluster"]), want[i].cluster);
    EXPECT_EQ(group(row["dup_group"]), want[i].dup_group);
    EXPECT_EQ(group(row["campaign"]), want[i].campaign);
    if (std::isfinite(want[i].score)) {
      EXPECT_EQ(row["score"].get<float>(), want[i].score);
    } else {
      EXPECT_TRUE(row["score"].is_null());
    }
    EXPECT_TRUE(row["evidence"].is_string());
    ++i;
  }
  EXPECT_EQ(i, want.size());
}

// The text of the first cell of every body row of the table with this id.
std::set<std::string> first_column(const std::string& page, const std::string& table_id) {
  const size_t begin = page.find("id=\"" + table_id + "\"");
  if (begin == std::string::npos) return {};
  const size_t end = page.find("</table>", begin);
  const std::string table = page.substr(begin, end - begin);
  std::set<std::string> cells;
  const std::regex row(R"(<tr><td[^>]*>(.*?)</td>)");
  for (auto it = std::sregex_iterator(table.begin(), table.end(), row);
       it != std::sregex_iterator(); ++it) {
    cells.insert(std::regex_replace((*it)[1].str(), std::regex("<[^>]*>"), ""));
  }
  return cells;
}

std::set<std::string> as_text(const std::vector<int64_t>& ids) {
  std::set<std::string> out;
  for (int64_t id : ids) out.insert(std::to_string(id));
  return out;
}

// Nothing on the page may load from anywhere: no external URL in any attribute, every link
// in-page, no src at all, no stylesheet links or CSS imports, and a policy that forbids fetches.
void expect_self_contained(const std::string& page) {
  EXPECT_FALSE(std::regex_search(
      page,
      std::regex(R"(<[^>]*\s(src|href|action|srcset|poster|data)\s*=\s*["']?\s*(https?:|//|ftp:))",
                 std::regex::icase)));
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_FALSE(std::regex_search(page, std::regex(R"(<[^>]*\ssrc\s*=)", std::regex::icase)));
  const std::regex href(R"re(href="([^"]*)")re");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), href); it != std::sregex_iterator();
       ++it) {
    EXPECT_EQ((*it)[1].str().rfind('#', 0), 0u) << (*it)[1].str();
  }
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
}

// A failed command: exit 2 and exactly one stderr line, which names `file`.
void expect_refused(const test::CommandResult& r, const std::string& file,
                    const std::string& fault = "") {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  std::istringstream lines(r.err);
  std::string line, last;
  int count = 0;
  while (std::getline(lines, line)) {
    if (!line.empty()) {
      ++count;
      last = line;
    }
  }
  EXPECT_EQ(count, 1) << r.err;
  EXPECT_NE(last.find(file), std::string::npos) << last;
  EXPECT_NE(last.find(fault), std::string::npos) << last;
}

// ---------------------------------------------------------------------------------------------

TEST(Report, RealSweepHasEverySectionAndEveryGroup) {
  const World& w = world();
  const std::string dir = test::scratch_dir(), page_path = dir + "/report.html";
  const auto r = run_unfriend("report " + quote(w.second) + " -o " + quote(page_path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = test::read_bytes(page_path);
  ASSERT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* section :
       {"id=\"summary\"", "id=\"changes\"", "id=\"review\"", "id=\"thresholds\"", "id=\"clusters\"",
        "id=\"profiles\"", "id=\"dup-groups\"", "id=\"campaigns\"", "id=\"configuration\"",
        "Changes since the previous run", "Review queue", "What is drawn:", "eps: score"}) {
    EXPECT_NE(page.find(section), std::string::npos) << section;
  }
  expect_self_contained(page);

  const H5Reader result(w.second);
  const auto cluster_ids = result.read_int64("/clusters/id");
  const auto dup_ids = result.read_int64("/dup_groups/id");
  const auto campaign_ids = result.read_int64("/campaigns/id");
  ASSERT_FALSE(cluster_ids.empty());
  ASSERT_FALSE(dup_ids.empty());
  ASSERT_FALSE(campaign_ids.empty());
  EXPECT_EQ(first_column(page, "clusters-table"), as_text(cluster_ids));
  EXPECT_EQ(first_column(page, "dup-groups-table"), as_text(dup_ids));
  EXPECT_EQ(first_column(page, "campaigns-table"), as_text(campaign_ids));
  for (int64_t id : cluster_ids) {
    // Linked from the table to a profile section that exists.
    const std::string anchor = "cluster-" + std::to_string(id);
    EXPECT_NE(page.find("href=\"#" + anchor + "\""), std::string::npos) << id;
    EXPECT_NE(page.find("id=\"" + anchor + "\""), std::string::npos) << id;
  }
  // The recorded distances are drawn with their thresholds, when the sweep records them.
  if (result.has("/labels/core_distance")) {
    EXPECT_NE(page.find("<h3>Core distance (/labels/core_distance)</h3>"), std::string::npos);
  }
  if (result.has("/candidates/outcome")) {
    EXPECT_NE(page.find("candidate clusters (/candidates)"), std::string::npos);
  }
  EXPECT_NE(page.find("<h3>Per-account score (/labels/score)</h3>"), std::string::npos);
  // The protected members' cluster is in the review queue.
  EXPECT_FALSE(first_column(page, "review-table").empty());
  EXPECT_NE(page.find("<svg"), std::string::npos);

  // The first sweep has no --previous: no changes section, and nothing held.
  const auto first = run_unfriend("report " + quote(w.first) + " -o " + quote(dir + "/first.html"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string first_page = test::read_bytes(dir + "/first.html");
  EXPECT_EQ(first_page.find("id=\"changes\""), std::string::npos);
  if (H5Reader(w.first).has("/labels/decision")) {
    EXPECT_NE(first_page.find("No account is held for review."), std::string::npos);
  }
}

TEST(Report, OldResultWithoutDecisionsOrDiff) {
  const std::string dir = test::scratch_dir();
  write_crafted(dir + "/old.h5", {});
  const auto r =
      run_unfriend("report " + quote(dir + "/old.h5") + " -o " + quote(dir + "/old.html"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = test::read_bytes(dir + "/old.html");
  EXPECT_EQ(page.find("id=\"review\""), std::string::npos);
  EXPECT_EQ(page.find("id=\"changes\""), std::string::npos);
  EXPECT_EQ(page.find("id=\"campaigns\""), std::string::npos);
  EXPECT_NE(page.find("no /labels/decision recorded"), std::string::npos);
  EXPECT_EQ(page.find("/labels/core_distance)</h3>"), std::string::npos);
  EXPECT_NE(page.find("<h3>Per-account score (/labels/score)</h3>"), std::string::npos);
  EXPECT_NE(page.find("eps: score 7.04"), std::string::npos);  // (-0.5 - ln 0.3) / 0.1
  EXPECT_EQ(first_column(page, "clusters-table"), (std::set<std::string>{"0", "7"}));
  EXPECT_EQ(first_column(page, "dup-groups-table"), (std::set<std::string>{"0"}));
  EXPECT_NE(page.find("\xE2\x88\x9E"), std::string::npos);  // the infinite tightness, as such
  expect_self_contained(page);
}

TEST(Report, DecisionsAndEveryKindOfChange) {
  const std::string dir = test::scratch_dir();
  Crafted c;
  c.decisions = true;
  c.diff = kFullDiff;
  write_crafted(dir + "/r.h5", c);
  const auto r = run_unfriend("report " + quote(dir + "/r.h5") + " -o " + quote(dir + "/r.html"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = test::read_bytes(dir + "/r.html");
  EXPECT_NE(page.find("last-week.h5"), std::string::npos);
  EXPECT_EQ(first_column(page, "changes-table"), (std::set<std::string>{"cluster", "dup_group"}));
  EXPECT_EQ(first_column(page, "dissolved-table"), (std::set<std::string>{"cluster", "campaign"}));
  EXPECT_NE(page.find(">split<"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"badge new\">new</span>"), std::string::npos);
  // Held: row 0 (cluster 0) and row 8 (in no group).
  EXPECT_EQ(first_column(page, "review-table"), (std::set<std::string>{"cluster"}));
  EXPECT_NE(page.find("1 held accounts are in no group (first ids: 1008)"), std::string::npos);

  // A diff that is not JSON: the page says so and still renders.
  c.diff = "{not json";
  write_crafted(dir + "/bad-diff.h5", c);
  const auto bad = run_unfriend("report " + quote(dir + "/bad-diff.h5") + " -o " +
                                quote(dir + "/bad-diff.html"));
  ASSERT_EQ(bad.exit_code, 0) << bad.err;
  EXPECT_NE(test::read_bytes(dir + "/bad-diff.html").find("is not a JSON object"),
            std::string::npos);
}

TEST(Report, EscapesEverythingFromTheFile) {
  const std::string dir = test::scratch_dir();
  Crafted c;
  c.decisions = true;
  c.hostile = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&, \"quoted\"";
  c.diff = R"({"previous": "<script>alert(3)</script>", "groups": [], "dissolved": []})";
  write_crafted(dir + "/r.h5", c);
  const auto r = run_unfriend("report " + quote(dir + "/r.h5") + " -o " + quote(dir + "/r.html"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = test::read_bytes(dir + "/r.html");
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img"),
            std::string::npos);
  expect_self_contained(page);
  // The same strings survive CSV quoting.
  const auto csv = run_unfriend("export " + quote(dir + "/r.h5") + " --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  expect_csv_matches(csv.out, expected_rows(dir + "/r.h5"));
  const auto rows = parse_csv(csv.out);
  EXPECT_NE(rows.at(5).at(6).find(c.hostile), std::string::npos) << rows.at(5).at(6);
}

TEST(Export, CsvAndJsonlRowsAreTheFlaggedAccounts) {
  const World& w = world();
  const std::string dir = test::scratch_dir();
  for (const std::string& result : {w.first, w.second}) {
    const std::vector<Expected> want = expected_rows(result);
    ASSERT_FALSE(want.empty());
    const auto csv = run_unfriend("export " + quote(result) + " --format csv -o " +
                                  quote(dir + "/x.csv") + " --overwrite");
    ASSERT_EQ(csv.exit_code, 0) << csv.err;
    expect_csv_matches(test::read_bytes(dir + "/x.csv"), want);
    const auto jsonl = run_unfriend("export " + quote(result) + " --format jsonl -o " +
                                    quote(dir + "/x.jsonl") + " --overwrite");
    ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
    expect_jsonl_matches(test::read_bytes(dir + "/x.jsonl"), want);
    // stdout, with no -o and with -o -, is the same bytes.
    const auto plain = run_unfriend("-q export " + quote(result) + " --format csv");
    const auto dash = run_unfriend("-q export " + quote(result) + " --format csv -o -");
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(plain.out, test::read_bytes(dir + "/x.csv"));
    EXPECT_EQ(dash.out, plain.out);
    EXPECT_EQ(plain.err, "");
  }
  // The second run holds the protected accounts and their cluster for review.
  const std::vector<Expected> second = expected_rows(w.second);
  EXPECT_TRUE(std::any_of(second.begin(), second.end(),
                          [](const Expected& e) { return e.decision == "held"; }));
}

TEST(Export, OldResultFlagsEveryGroupedAccount) {
  const std::string dir = test::scratch_dir();
  write_crafted(dir + "/old.h5", {});
  const auto csv = run_unfriend("export " + quote(dir + "/old.h5") + " --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto want = expected_rows(dir + "/old.h5");
  ASSERT_EQ(want.size(), 8u);  // rows 0-7
  expect_csv_matches(csv.out, want);
  const auto jsonl = run_unfriend("export " + quote(dir + "/old.h5") + " --format jsonl");
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  expect_jsonl_matches(jsonl.out, want);
  // With decisions the rows follow them: row 8 (held, in no group) comes in.
  Crafted c;
  c.decisions = true;
  write_crafted(dir + "/new.h5", c);
  const auto held = run_unfriend("export " + quote(dir + "/new.h5") + " --format csv");
  ASSERT_EQ(held.exit_code, 0) << held.err;
  expect_csv_matches(held.out, expected_rows(dir + "/new.h5"));
  EXPECT_NE(held.out.find("1008,held,,,,4,in no group"), std::string::npos) << held.out;
}

TEST(ReportAndExport, BadInputIsOneLineNamingTheFileExitTwo) {
  const std::string dir = test::scratch_dir();
  const std::string text = dir + "/text.h5", features = dir + "/features.h5";
  std::ofstream(text) << "account_id,cluster\n1,2\n";
  {
    H5Writer w(features, true);
    const std::vector<float> values = test::random_normal(10, 4, 1);
    w.write_matrix("/accounts/features", values.data(), 10, 4);
    w.commit();
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {dir + "/missing.h5", "missing.h5"}, {text, "text.h5"}, {features, "features.h5"}};
  for (const auto& [input, name] : cases) {
    expect_refused(run_unfriend("report " + quote(input) + " -o " + quote(dir + "/out.html")),
                   name);
    expect_refused(run_unfriend("export " + quote(input) + " --format csv"), name);
    expect_refused(
        run_unfriend("export " + quote(input) + " --format jsonl -o " + quote(dir + "/out.jsonl")),
        name);
  }
  expect_refused(run_unfriend("report " + quote(features) + " -o " + quote(dir + "/out.html")),
                 "features.h5", "not an unfriend result");
  EXPECT_FALSE(fs::exists(dir + "/out.html"));
  EXPECT_FALSE(fs::exists(dir + "/out.jsonl"));
  // Usage errors: a format we do not write, an output folder that does not exist.
  write_crafted(dir + "/r.h5", {});
  EXPECT_EQ(run_unfriend("export " + quote(dir + "/r.h5") + " --format xml").exit_code, 2);
  expect_refused(
      run_unfriend("report " + quote(dir + "/r.h5") + " -o " + quote(dir + "/no/such/r.html")),
      "r.html", "does not exist");
  expect_refused(run_unfriend("report " + quote(dir + "/r.h5") + " -o " + quote(dir + "/r.h5") +
                              " --overwrite"),
                 "r.h5", "replace the input");
}

TEST(ReportAndExport, ExistingOutputIsRefusedWithoutOverwrite) {
  const std::string dir = test::scratch_dir();
  write_crafted(dir + "/r.h5", {});
  for (const std::string& command : {std::string("report"), std::string("export --format csv")}) {
    const std::string out = dir + "/out.txt";
    test::write_bytes(out, "keep me\n");
    const std::string base = command.substr(0, 6) == "report"
                                 ? "report " + quote(dir + "/r.h5")
                                 : "export " + quote(dir + "/r.h5") + " --format csv";
    expect_refused(run_unfriend(base + " -o " + quote(out)), "out.txt", "--overwrite");
    EXPECT_EQ(test::read_bytes(out), "keep me\n");
    const auto replaced = run_unfriend(base + " -o " + quote(out) + " --overwrite");
    ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
    EXPECT_NE(test::read_bytes(out), "keep me\n");
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

// ---------------------------------------------------------------------------------------------
// The page in a real browser: its script runs without throwing (it adds #report-ready last),
// the self-test sorts every table by every column both ways, and the console stays silent
// (uncaught errors and blocked loads are console messages).

std::string find_chromium() {
  if (const char* env = std::getenv("UNFRIEND_CHROMIUM")) return env;
  for (const char* name :
       {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    const auto which = test::run_command(std::string("command -v ") + name);
    if (which.exit_code == 0 && !which.out.empty())
      return which.out.substr(0, which.out.find('\n'));
  }
  return {};
}

void expect_renders_cleanly(const std::string& chromium, const std::string& page_path,
                            const std::string& dir, const std::vector<std::string>& wanted) {
  const auto r = test::run_command(
      "timeout 180 " + quote(chromium) +
      " --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions "
      "--user-data-dir=" +
      quote(dir + "/chromium-profile") + " --enable-logging=stderr --v=0 --dump-dom " +
      quote("file://" + page_path + "#selftest"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("id=\"report-ready\""), std::string::npos) << r.out.substr(0, 2000);
  std::smatch selftest;
  ASSERT_TRUE(std::regex_search(r.out, selftest, std::regex(R"(<div id="report-selftest"[^>]*>)")))
      << "the self-test did not run";
  const std::string tag = selftest[0].str();
  EXPECT_NE(tag.find("data-result=\"ok\""), std::string::npos) << tag;
  for (const std::string& text : wanted) EXPECT_NE(r.out.find(text), std::string::npos) << text;
  std::istringstream lines(r.err);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << line;
    EXPECT_EQ(line.find("Uncaught"), std::string::npos) << line;
    EXPECT_EQ(line.find("Content Security Policy"), std::string::npos) << line;
  }
}

TEST(ReportBrowser, RendersInHeadlessChromiumWithoutConsoleErrors) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "no chromium binary found (apt-get install chromium; .ci/install-deps "
                    "installs it), or set UNFRIEND_CHROMIUM";
  }
  const World& w = world();
  const std::string dir = test::scratch_dir();
  const auto r = run_unfriend("report " + quote(w.second) + " -o " + quote(dir + "/real.html"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_renders_cleanly(
      chromium, dir + "/real.html", dir,
      {"<h2>Summary</h2>", "<h2>Changes since the previous run</h2>", "<h2>Review queue</h2>",
       "<h2>Click-farm clusters</h2>", "<h2>Cluster profiles</h2>",
       "<h2>Near-duplicate groups</h2>", "<h2>Lockstep campaigns</h2>", "aria-sort"});
  // Hostile strings and an old result render as cleanly.
  Crafted c;
  c.decisions = true;
  c.diff = kFullDiff;
  c.hostile = "</script><script>throw new Error('injected')</script>";
  write_crafted(dir + "/hostile.h5", c);
  ASSERT_EQ(
      run_unfriend("report " + quote(dir + "/hostile.h5") + " -o " + quote(dir + "/hostile.html"))
          .exit_code,
      0);
  expect_renders_cleanly(chromium, dir + "/hostile.html", dir, {"<h2>Review queue</h2>"});
}

}  // namespace
}  // namespace unfriend
