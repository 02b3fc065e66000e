// End-to-end tests of the CLI: the sweep on synthetic data, its outputs, and every bad input
// the sweep must refuse with exit code 2, one line naming the file and the fault, and no output.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

namespace fs = std::filesystem;
using test::run_unfriend;

std::string shell_quote(const std::string& s) { return "'" + s + "'"; }

// Writes a raw dataset of any rank and type with the HDF5 C API (shapes H5Writer refuses).
void write_raw(const std::string& path, const std::string& name, hid_t type,
               const std::vector<hsize_t>& dims, const void* data) {
  hid_t file = fs::exists(path) ? H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)
                                : H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dset = H5Dcreate2(file, name.c_str(), type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  size_t count = 1;
  for (auto d : dims) count *= d;
  if (count > 0 && data) H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(dset);
  H5Sclose(space);
  H5Pclose(lcpl);
  H5Fclose(file);
}

void write_features(const std::string& path, int64_t rows, int64_t cols, uint64_t seed) {
  auto values = test::random_normal(rows, cols, seed);
  H5Writer w(path, true);
  w.write_matrix("/accounts/features", values.data(), rows, cols);
  w.commit();
}

class SweepCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir();
    out_ = dir_ + "/out.h5";
  }
  // The sweep must fail with exit code 2, one stderr line naming `file` and containing
  // `fault`, and leave no output behind.
  void expect_bad_input(const std::string& input, const std::string& file, const std::string& fault,
                        const std::string& extra = "") {
    auto r = run_unfriend("sweep " + shell_quote(input) + " -o " + shell_quote(out_) +
                          " --backend cpu " + extra);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    // Progress lines may come first; the error itself is exactly one line.
    std::string err, line;
    int error_lines = 0;
    std::istringstream lines(r.err);
    while (std::getline(lines, line)) {
      if (line.rfind("unfriend: error:", 0) == 0 || line.rfind("unfriend: ", 0) != 0) {
        ++error_lines;
        err = line;
      }
    }
    EXPECT_EQ(error_lines, 1) << r.err;
    EXPECT_NE(err.find(file), std::string::npos) << err;
    EXPECT_NE(err.find(fault), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(out_));
    for (auto& entry : fs::directory_iterator(dir_)) {
      EXPECT_EQ(entry.path().string().find("out.h5.tmp"), std::string::npos) << entry.path();
    }
  }
  std::string dir_, out_;
};

TEST_F(SweepCli, MissingFile) { expect_bad_input(dir_ + "/nope.h5", "nope.h5", ""); }

TEST_F(SweepCli, NotHdf5) {
  std::string path = dir_ + "/text.h5";
  std::ofstream(path) << "id,feature\n1,2\n";
  expect_bad_input(path, "text.h5", "HDF5");
}

TEST_F(SweepCli, TruncatedHdf5) {
  std::string good = dir_ + "/good.h5", cut = dir_ + "/cut.h5";
  write_features(good, 2000, 16, 1);
  auto size = fs::file_size(good);
  fs::copy_file(good, cut);
  fs::resize_file(cut, size / 2);
  expect_bad_input(cut, "cut.h5", "");
}

TEST_F(SweepCli, MissingDataset) {
  std::string path = dir_ + "/other.h5";
  float v[4] = {1, 2, 3, 4};
  write_raw(path, "/something/else", H5T_NATIVE_FLOAT, {2, 2}, v);
  expect_bad_input(path, "other.h5", "/accounts/features");
}

TEST_F(SweepCli, WrongRank) {
  std::string path = dir_ + "/rank.h5";
  float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  write_raw(path, "/accounts/features", H5T_NATIVE_FLOAT, {2, 2, 2}, v);
  expect_bad_input(path, "rank.h5", "rank");
}

TEST_F(SweepCli, IdsOfDifferentLength) {
  std::string path = dir_ + "/ids.h5";
  write_features(path, 50, 4, 2);
  std::vector<int64_t> ids(49);
  for (int i = 0; i < 49; ++i) ids[i] = i;
  write_raw(path, "/accounts/id", H5T_NATIVE_INT64, {49}, ids.data());
  expect_bad_input(path, "ids.h5", "49");
}

TEST_F(SweepCli, DuplicateIds) {
  std::string path = dir_ + "/dupids.h5";
  write_features(path, 50, 4, 3);
  std::vector<int64_t> ids(50);
  for (int i = 0; i < 50; ++i) ids[i] = 1000 + i;
  ids[30] = 1007;
  write_raw(path, "/accounts/id", H5T_NATIVE_INT64, {50}, ids.data());
  expect_bad_input(path, "dupids.h5", "1007");
}

TEST_F(SweepCli, EmptyDataset) {
  std::string path = dir_ + "/empty.h5";
  write_raw(path, "/accounts/features", H5T_NATIVE_FLOAT, {0, 8}, nullptr);
  expect_bad_input(path, "empty.h5", "empty");
}

TEST_F(SweepCli, ZeroFeatures) {
  std::string path = dir_ + "/nod.h5";
  write_raw(path, "/accounts/features", H5T_NATIVE_FLOAT, {10, 0}, nullptr);
  expect_bad_input(path, "nod.h5", "");
}

TEST_F(SweepCli, NanAndInfRows) {
  for (float bad : {NAN, INFINITY}) {
    std::string path = dir_ + (std::isnan(bad) ? "/nan.h5" : "/inf.h5");
    auto values = test::random_normal(100, 4, 4);
    values[37 * 4 + 2] = bad;
    H5Writer w(path, true);
    w.write_matrix("/accounts/features", values.data(), 100, 4);
    w.commit();
    expect_bad_input(path, std::isnan(bad) ? "nan.h5" : "inf.h5", "row 37");
  }
}

TEST_F(SweepCli, OutputPathNotWritable) {
  std::string path = dir_ + "/in.h5";
  write_features(path, 100, 4, 5);
  auto r = run_unfriend("sweep " + shell_quote(path) + " -o " +
                        shell_quote(dir_ + "/no/such/folder/out.h5") + " --backend cpu");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no/such/folder/out.h5"), std::string::npos) << r.err;
  // An existing output is refused without --overwrite and kept as it was.
  std::ofstream(out_) << "keep me";
  r = run_unfriend("sweep " + shell_quote(path) + " -o " + shell_quote(out_) + " --backend cpu");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  std::ifstream in(out_);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "keep me");
}

TEST_F(SweepCli, UnknownConfigKeyIsNamed) {
  std::string path = dir_ + "/in.h5", cfg = dir_ + "/bad.toml";
  write_features(path, 100, 4, 6);
  std::ofstream(cfg) << "[clusters]\nmin_ptz = 3\n";
  expect_bad_input(path, "bad.toml", "clusters.min_ptz", "--config " + shell_quote(cfg));
}

TEST_F(SweepCli, CudaWithoutGpuIsUsageError) {
  std::string path = dir_ + "/in.h5";
  write_features(path, 200, 8, 7);
  auto probe =
      run_unfriend("sweep " + shell_quote(path) + " -o " + shell_quote(out_) + " --backend cuda");
  if (probe.exit_code == 0) GTEST_SKIP() << "a usable GPU is present";
  EXPECT_EQ(probe.exit_code, 2) << probe.err;
  EXPECT_NE(probe.err.find("--backend cuda"), std::string::npos) << probe.err;
  EXPECT_FALSE(fs::exists(out_));
  // auto falls back to the CPU and says so.
  auto r =
      run_unfriend("sweep " + shell_quote(path) + " -o " + shell_quote(out_) + " --backend auto");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("backend: cpu"), std::string::npos) << r.err;
}

TEST_F(SweepCli, SkipInvalidRowsAreLabelledNotAssessed) {
  std::string path = dir_ + "/in.h5";
  auto values = test::random_normal(300, 6, 8);
  values[10 * 6 + 1] = NAN;
  std::fill(values.begin() + 20 * 6, values.begin() + 21 * 6, 0.f);
  {
    H5Writer w(path, true);
    w.write_matrix("/accounts/features", values.data(), 300, 6);
    w.commit();
  }
  auto r = run_unfriend("sweep " + shell_quote(path) + " -o " + shell_quote(out_) +
                        " --backend cpu --on-invalid skip --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["counts"]["not_assessed"], 2);
  H5Reader out(out_);
  auto cluster = out.read_int64("/labels/cluster");
  auto dup = out.read_int64("/labels/dup_group");
  ASSERT_EQ(cluster.size(), 300u);
  EXPECT_EQ(cluster[10], -2);
  EXPECT_EQ(cluster[20], -2);
  EXPECT_EQ(dup[10], -2);
  EXPECT_GE(cluster[11], -1);
}

TEST_F(SweepCli, SynthSweepEvaluateEndToEnd) {
  std::string data = dir_ + "/synth.h5";
  auto r = run_unfriend("synth -o " + shell_quote(data) + " --rows 20000 --dims 32 --seed 11");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Reading the input must not modify it.
  auto before = fs::file_size(data);
  auto before_time = fs::last_write_time(data);
  r = run_unfriend("sweep " + shell_quote(data) + " -o " + shell_quote(out_) +
                   " --backend cpu --write-graph");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("click-farm clusters"), std::string::npos) << r.out;
  EXPECT_EQ(fs::file_size(data), before);
  EXPECT_EQ(fs::last_write_time(data), before_time);
  ASSERT_TRUE(fs::exists(out_));
  ASSERT_TRUE(fs::exists(dir_ + "/out.summary.json"));

  H5Reader out(out_);
  for (const char* name :
       {"/accounts/id", "/labels/cluster", "/labels/dup_group", "/labels/score", "/clusters/id",
        "/clusters/size", "/clusters/kind", "/clusters/mean_similarity", "/clusters/tightness",
        "/clusters/score", "/dup_groups/id", "/dup_groups/size", "/graph/neighbors",
        "/graph/similarity"}) {
    EXPECT_TRUE(out.has(name)) << name;
  }
  EXPECT_EQ(out.shape("/graph/neighbors"), (std::vector<int64_t>{20000, 32}));
  auto config = nlohmann::json::parse(out.read_string_attribute("/", "config"));
  EXPECT_EQ(config["knn"]["k"], 32);
  auto stages = nlohmann::json::parse(out.read_string_attribute("/", "stage_seconds"));
  EXPECT_TRUE(stages.contains("knn"));

  // Cluster table and labels agree.
  auto labels = out.read_int64("/labels/cluster");
  auto sizes = out.read_int64("/clusters/size");
  std::vector<int64_t> counted(sizes.size(), 0);
  for (int64_t l : labels) {
    if (l >= 0) ++counted.at(static_cast<size_t>(l));
  }
  EXPECT_EQ(counted, sizes);

  auto e = run_unfriend("evaluate " + shell_quote(out_) + " --truth " + shell_quote(data) +
                        " --json " + shell_quote(dir_ + "/eval.json"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::ifstream in(dir_ + "/eval.json");
  auto eval = nlohmann::json::parse(in);
  double f1 = eval["accounts"]["f1"].get<double>();
  EXPECT_GE(f1, 0.90) << eval.dump(2);
}

}  // namespace
}  // namespace unfriend
