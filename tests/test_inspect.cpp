// `unfriend inspect` end to end: listing on stdout, exit 0 for valid input, exit 2 with one
// line on stderr otherwise (the listing still printed when the file is HDF5).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "host/io/h5_writer.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

using test::CommandResult;
using test::random_normal;
using test::run_unfriend;
using test::scratch_dir;

std::string quoted(const std::string& path) { return "'" + path + "'"; }

// stderr holds exactly one line: "unfriend: error: ..." naming the file.
void expect_one_error_line(const CommandResult& result, const std::string& path,
                           const std::string& needle) {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  ASSERT_FALSE(result.err.empty());
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_EQ(result.err.rfind("unfriend: error: ", 0), 0u) << result.err;
  EXPECT_NE(result.err.find(path), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(needle), std::string::npos) << result.err;
}

std::string write_valid(const std::string& dir, const std::string& features_path,
                        const std::string& ids_path) {
  const std::string path = dir + "/valid.h5";
  const int64_t rows = 203;
  const int64_t cols = 5;
  std::vector<float> features = random_normal(rows, cols, 8);
  std::vector<int64_t> ids(rows);
  std::iota(ids.begin(), ids.end(), 500);
  H5Writer writer(path, false);
  writer.write_matrix(features_path, features.data(), rows, cols, StoredFloat::float16, 50, 3);
  writer.write_int64(ids_path, ids);
  writer.set_attribute("/", "generator", std::string("test_inspect"));
  writer.commit();
  return path;
}

TEST(InspectCommand, ValidFileListsAndExitsZero) {
  const std::string path = write_valid(scratch_dir(), "/accounts/features", "/accounts/id");
  CommandResult result = run_unfriend("inspect " + quoted(path));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.err.empty()) << result.err;
  EXPECT_NE(result.out.find("/accounts/features"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("203 x 5"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("float16"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("chunks 50 x 5"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("gzip"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("generator = \"test_inspect\""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("input: valid"), std::string::npos) << result.out;

  result = run_unfriend("inspect --json --full " + quoted(path));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["valid"], true);
  EXPECT_EQ(json["input"]["rows"], 203);
  EXPECT_EQ(json["input"]["cols"], 5);
  EXPECT_EQ(json["input"]["dtype"], "float16");
  EXPECT_EQ(json["input"]["ids"], "/accounts/id");
  EXPECT_EQ(json["input"]["chunk"], nlohmann::json({50, 5}));
  EXPECT_TRUE(json["reason"].is_null());
}

TEST(InspectCommand, CustomDatasetPaths) {
  const std::string path = write_valid(scratch_dir(), "/data/x", "/data/uid");
  CommandResult result = run_unfriend("inspect " + quoted(path));
  expect_one_error_line(result, path, "missing features dataset /accounts/features");
  EXPECT_NE(result.out.find("/data/x"), std::string::npos) << "listing still printed";

  result = run_unfriend("inspect --features /data/x --ids /data/uid " + quoted(path));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("from /data/uid"), std::string::npos) << result.out;

  // Without --ids the default id path is optional; named explicitly it must exist.
  result = run_unfriend("inspect --features /data/x " + quoted(path));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("row index"), std::string::npos) << result.out;
  result = run_unfriend("inspect --features /data/x --ids /data/none " + quoted(path));
  expect_one_error_line(result, path, "missing ids dataset /data/none");
}

TEST(InspectCommand, InvalidHdf5FileStillListsThenFails) {
  const std::string path = scratch_dir() + "/rank1.h5";
  {
    H5Writer writer(path, false);
    writer.write_float32("/accounts/features", {1.f, 2.f});
    writer.commit();
  }
  CommandResult result = run_unfriend("inspect " + quoted(path));
  expect_one_error_line(result, path, "has rank 1, expected 2");
  EXPECT_NE(result.out.find("/accounts/features"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("NOT valid"), std::string::npos) << result.out;

  result = run_unfriend("inspect --json " + quoted(path));
  expect_one_error_line(result, path, "has rank 1, expected 2");
  const nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["valid"], false);
  EXPECT_NE(json["reason"].get<std::string>().find("rank 1"), std::string::npos);
}

TEST(InspectCommand, UnreadableFilesFailWithoutListing) {
  const std::string dir = scratch_dir();
  const std::string missing = dir + "/missing.h5";
  CommandResult result = run_unfriend("inspect " + quoted(missing));
  expect_one_error_line(result, missing, "no such file");
  EXPECT_TRUE(result.out.empty()) << result.out;

  const std::string text = dir + "/table.csv";
  std::ofstream(text) << "id,x\n1,2\n";
  result = run_unfriend("inspect " + quoted(text));
  expect_one_error_line(result, text, "not an HDF5 file");
  EXPECT_TRUE(result.out.empty()) << result.out;
}

}  // namespace
}  // namespace unfriend
