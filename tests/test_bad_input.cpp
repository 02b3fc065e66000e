// Hostile and degenerate inputs through the CLI. Bad input must end with exit code 2, one stderr
// line naming the file and the fault, no output file and the input untouched; the degenerate
// but valid shapes (one account, k beyond N, all accounts identical) must simply work.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
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

std::string quote(const std::string& s) { return "'" + s + "'"; }

using test::read_bytes;
using test::write_bytes;

void write_features(const std::string& path, const std::vector<float>& values, int64_t rows,
                    int64_t cols, int64_t chunk_rows = 0, int gzip = 0) {
  H5Writer w(path, true);
  w.write_matrix("/accounts/features", values.data(), rows, cols, StoredFloat::float32, chunk_rows,
                 gzip);
  w.commit();
}

// /accounts/features of any type and shape, never written (validation never reads it), with
// chunking when `chunk` is given so that huge declared extents take no space on disk.
void write_declared(const std::string& path, hid_t type, const std::vector<hsize_t>& dims,
                    const std::vector<hsize_t>& chunk = {}, bool unlimited_rows = false) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  std::vector<hsize_t> maxdims = dims;
  if (unlimited_rows) maxdims[0] = H5S_UNLIMITED;
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxdims.data());
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (!chunk.empty()) H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
  hid_t dset = H5Dcreate2(file, "/accounts/features", type, space, lcpl, dcpl, H5P_DEFAULT);
  EXPECT_GE(dset, 0);
  H5Dclose(dset);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Pclose(lcpl);
  H5Fclose(file);
}

// Overwrites the compressed bytes of chunk `chunk_index` (after its zlib header) with 0xFF, a
// reserved deflate block type: inflating that chunk must fail. Returns the chunk's first row.
int64_t break_one_chunk(const std::string& path, hsize_t chunk_index) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t dataset = H5Dopen2(file, "/accounts/features", H5P_DEFAULT);
  hid_t space = H5Dget_space(dataset);
  hsize_t offset[2] = {0, 0};
  unsigned filter_mask = 0;
  haddr_t address = 0;
  hsize_t size = 0;
  EXPECT_GE(H5Dget_chunk_info(dataset, space, chunk_index, offset, &filter_mask, &address, &size),
            0);
  H5Sclose(space);
  H5Dclose(dataset);
  H5Fclose(file);
  std::string bytes = read_bytes(path);
  EXPECT_GT(size, 8u);
  EXPECT_LE(address + size, bytes.size());
  for (hsize_t i = 2; i < size; ++i) bytes[address + i] = static_cast<char>(0xFF);
  write_bytes(path, bytes);
  return static_cast<int64_t>(offset[0]);
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir();
    out_ = dir_ + "/out.h5";
  }

  // `unfriend sweep INPUT -o out.h5 --backend cpu EXTRA` must fail with exit code 2, one stderr
  // line naming `named` and containing every `faults` entry (with --quiet), write nothing and
  // leave the input
  // byte for byte as it was. Returns the message.
  std::string expect_refused(const std::string& input, const std::string& named,
                             const std::vector<std::string>& faults,
                             const std::string& extra = "") {
    const std::string before = read_bytes(input);
    const auto before_time = fs::last_write_time(input);
    // --quiet: progress lines already printed before a fault found mid-read (a broken chunk)
    // would otherwise precede the error line.
    auto r = run_unfriend("--quiet sweep " + quote(input) + " -o " + quote(out_) +
                          " --backend cpu " + extra);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    std::string err = r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(err.find('\n'), std::string::npos) << "more than one line:\n" << r.err;
    EXPECT_NE(err.find(named), std::string::npos) << err;
    for (const std::string& fault : faults) EXPECT_NE(err.find(fault), std::string::npos) << err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(out_));
    EXPECT_FALSE(fs::exists(dir_ + "/out.summary.json"));
    for (const auto& entry : fs::directory_iterator(dir_)) {
      EXPECT_EQ(entry.path().filename().string().find("out.h5.tmp"), std::string::npos)
          << entry.path();
    }
    EXPECT_TRUE(read_bytes(input) == before) << input << " was modified";
    EXPECT_EQ(fs::last_write_time(input), before_time);
    return err;
  }

  // The sweep must succeed; returns the parsed --json summary.
  nlohmann::json expect_sweep_ok(const std::string& input, const std::string& extra = "") {
    auto r = run_unfriend("sweep " + quote(input) + " -o " + quote(out_) +
                          " --backend cpu --json " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(out_));
    if (r.exit_code != 0) return nlohmann::json::object();
    return nlohmann::json::parse(r.out);
  }

  std::string config_file(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_, out_;
};

// ---------------------------------------------------------------------------------------------
// Refused inputs.

TEST_F(BadInput, BrokenGzipChunk) {
  const std::string path = dir_ + "/broken.h5";
  write_features(path, test::random_normal(1001, 7, 21), 1001, 7, 64, 6);
  const int64_t first_row = break_one_chunk(path, 5);
  ASSERT_EQ(first_row, 5 * 64);
  // Whatever block size the sweep picks, the block holding row 320 cannot be read.
  const std::string err =
      expect_refused(path, "broken.h5", {"cannot read rows", "/accounts/features"});
  EXPECT_NE(err.find(".."), std::string::npos) << err;  // names the row range
  // Without --quiet the progress lines come first, but the fault is still exactly one line.
  auto r = run_unfriend("sweep " + quote(path) + " -o " + quote(out_) + " --backend cpu");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  size_t error_lines = 0;
  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);)
    error_lines += line.find("error") != std::string::npos;
  EXPECT_EQ(error_lines, 1u) << r.err;
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(BadInput, BrokenChunkWithSmallBlocksNamesTheRows) {
  const std::string path = dir_ + "/broken.h5";
  write_features(path, test::random_normal(1001, 7, 22), 1001, 7, 64, 6);
  break_one_chunk(path, 5);  // rows 320..383
  const std::string err =
      expect_refused(path, "broken.h5", {"cannot read rows "}, "--block-rows 64");
  // The named rows lie in the broken chunk (the reader may narrow a failed block down).
  long long first = -1, last = -1;
  const size_t at = err.find("cannot read rows ");
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(std::sscanf(err.c_str() + at, "cannot read rows %lld..%lld", &first, &last), 2) << err;
  EXPECT_GE(first, 320) << err;
  EXPECT_LE(first, last) << err;
  EXPECT_LE(last, 383) << err;
}

TEST_F(BadInput, IntegerFeatures) {
  const std::string path = dir_ + "/int.h5";
  write_declared(path, H5T_STD_I32LE, {10, 4});
  expect_refused(path, "int.h5", {"/accounts/features", "integer", "int32"});
}

TEST_F(BadInput, CompoundFeatures) {
  const std::string path = dir_ + "/compound.h5";
  hid_t type = H5Tcreate(H5T_COMPOUND, 12);
  H5Tinsert(type, "id", 0, H5T_STD_I64LE);
  H5Tinsert(type, "x", 8, H5T_IEEE_F32LE);
  write_declared(path, type, {10, 4});
  H5Tclose(type);
  expect_refused(path, "compound.h5", {"/accounts/features", "compound"});
}

TEST_F(BadInput, StringFeatures) {
  for (bool variable : {false, true}) {
    const std::string path = dir_ + (variable ? "/vlen.h5" : "/fixed.h5");
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, variable ? H5T_VARIABLE : 12);
    write_declared(path, type, {10, 4});
    H5Tclose(type);
    expect_refused(path, variable ? "vlen.h5" : "fixed.h5", {"/accounts/features", "string"});
  }
}

TEST_F(BadInput, ZeroRows) {
  // Chunked with unlimited rows: an extendible data set that nobody appended to yet.
  const std::string path = dir_ + "/empty.h5";
  write_declared(path, H5T_IEEE_F32LE, {0, 8}, {64, 8}, true);
  expect_refused(path, "empty.h5", {"/accounts/features", "0 rows"});
}

TEST_F(BadInput, ExtentsBeyondInt64) {
  // HDF5 extents are unsigned 64-bit: a row count past 2^63 would turn negative in an int64.
  // HDF5 will not create one, so a marker extent is patched in the file's dataspace message
  // (version-1 object headers carry no checksum).
  const std::string path = dir_ + "/overflow.h5";
  const hsize_t marker = 0x3A5A5A5A5A5A5A5Bull;
  write_declared(path, H5T_IEEE_F32LE, {marker, 2}, {1, 2});
  std::string bytes = read_bytes(path);
  const std::string pattern(reinterpret_cast<const char*>(&marker), sizeof marker);
  size_t patched = 0;
  for (size_t at = bytes.find(pattern); at != std::string::npos; at = bytes.find(pattern, at + 8)) {
    bytes[at + 7] = static_cast<char>(0xBA);  // 0xBA5A5A5A5A5A5A5B: bit 63 set
    ++patched;
  }
  ASSERT_GT(patched, 0u);
  write_bytes(path, bytes);
  // HDF5 1.10 already fails to open it (chunk index arithmetic); later versions may not, and
  // then our own check names the extents. Either way: one line, exit 2.
  expect_refused(path, "overflow.h5", {"/accounts/features"});
  // Each extent fits, their product does not.
  write_declared(path, H5T_IEEE_F32LE, {hsize_t{1} << 40, hsize_t{1} << 30}, {1, 1 << 20});
  expect_refused(path, "overflow.h5", {"1099511627776 x 1073741824"});
}

TEST_F(BadInput, MillionsOfFeaturesRefusedUpFrontUnderMaxMemory) {
  // 100,000 x 3,000,000 float32 is 1.2 TB declared, never written: the file is a few KiB. The
  // plan must refuse it from the header alone, with the numbers, before reading any row.
  const std::string path = dir_ + "/wide.h5";
  write_declared(path, H5T_IEEE_F32LE, {100000, 3000000}, {1, 65536});
  ASSERT_LT(fs::file_size(path), 1u << 20);
  const std::string err =
      expect_refused(path, "wide.h5", {"100000", "3000000", "--max-memory"}, "--max-memory 1G");
  EXPECT_NE(err.find("GiB"), std::string::npos) << err;  // the needed size, in people's units
}

// AddressSanitizer's operator new ends the process on a failed allocation instead of throwing
// std::bad_alloc (even with allocator_may_return_null=1), so under tests/sanitize.sh the CLI
// cannot show its "out of memory" answer.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

TEST_F(BadInput, AbsurdDeclaredSizeWithoutMaxMemory) {
  // 2^20 x 2^40 float32 = 2^62 bytes declared by a tiny file: beyond any address space, so no
  // allocation can succeed. Without --max-memory the sweep must still end cleanly and at once
  // (a refusal, exit 2, or "out of memory", exit 1), never crash or try to page it in.
  if (kAddressSanitizer) GTEST_SKIP() << "ASan's operator new aborts instead of throwing bad_alloc";
  const std::string path = dir_ + "/absurd.h5";
  write_declared(path, H5T_IEEE_F32LE, {hsize_t{1} << 20, hsize_t{1} << 40}, {1, 1 << 20});
  ASSERT_LT(fs::file_size(path), 1u << 20);
  const auto started = std::chrono::steady_clock::now();
  auto r = run_unfriend("--quiet sweep " + quote(path) + " -o " + quote(out_) + " --backend cpu");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << r.exit_code << ": " << r.err;
  std::string err = r.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  EXPECT_EQ(err.find('\n'), std::string::npos) << r.err;
  EXPECT_NE(err.find("error"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(BadInput, MillionsOfFeaturesForTwoRows) {
  // [2, 3,000,000] float32 (24 MB of real data): a clear refusal or a working run, never a
  // crash or an attempt at an absurd allocation.
  const std::string path = dir_ + "/two_wide.h5";
  const int64_t cols = 3000000;
  write_features(path, test::random_normal(2, cols, 23), 2, cols, 1, 0);
  auto r = run_unfriend("sweep " + quote(path) + " -o " + quote(out_) + " --backend cpu -k 2 " +
                        "--min-pts 2 --max-memory 4G");
  if (r.exit_code == 2) {
    std::string err = r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    EXPECT_EQ(err.find('\n'), std::string::npos) << r.err;
    EXPECT_NE(err.find("two_wide.h5"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(out_));
  } else {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    H5Reader out(out_);
    EXPECT_EQ(out.read_int64("/labels/cluster").size(), 2u);
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration faults are named by key.

TEST_F(BadInput, ConfigUnknownKeys) {
  const std::string input = dir_ + "/in.h5";
  write_features(input, test::random_normal(100, 4, 24), 100, 4);
  expect_refused(input, "typo.toml", {"knn.kk"},
                 "--config " + quote(config_file("typo.toml", "[knn]\nkk = 16\n")));
  expect_refused(input, "section.toml", {"unknown key", "colour"},
                 "--config " + quote(config_file("section.toml", "[colour]\nred = 1\n")));
  expect_refused(input, "top.toml", {"unknown key", "k"},
                 "--config " + quote(config_file("top.toml", "k = 16\n")));
}

TEST_F(BadInput, ConfigValuesOutOfRange) {
  const std::string input = dir_ + "/in.h5";
  write_features(input, test::random_normal(100, 4, 25), 100, 4);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[knn]\nk = 0\n", "knn.k"},
      {"[knn]\nk = 100000\n", "knn.k"},
      {"[knn]\nk = 4294967297\n", "knn.k"},  // would wrap to 1 in an int
      {"[clusters]\nmin_pts = 1\n", "clusters.min_pts"},
      {"[knn]\nk = 8\n[clusters]\nmin_pts = 9\n", "clusters.min_pts"},
      {"[input]\non_invalid = \"maybe\"\n", "input.on_invalid"},
      {"[input]\nblock_rows = -5\n", "input.block_rows"},
      {"[run]\nmax_memory = \"1e30\"\n", "run.max_memory"},
      {"[run]\nmax_memory = \"lots\"\n", "run.max_memory"},
      {"[knn]\nk = \"many\"\n", "knn.k"},
  };
  int n = 0;
  for (const auto& [text, key] : cases) {
    SCOPED_TRACE(text);
    const std::string name = "range" + std::to_string(n++) + ".toml";
    expect_refused(input, name, {key}, "--config " + quote(config_file(name, text)));
  }
}

TEST_F(BadInput, MaxMemoryOptionOverflowIsRefused) {
  const std::string input = dir_ + "/in.h5";
  write_features(input, test::random_normal(100, 4, 26), 100, 4);
  expect_refused(input, "--max-memory", {"1e300"}, "--max-memory 1e300T");
}

// ---------------------------------------------------------------------------------------------
// Degenerate but valid: these must work.

TEST_F(BadInput, OneAccount) {
  const std::string path = dir_ + "/one.h5";
  write_features(path, test::random_normal(1, 6, 27), 1, 6);
  auto summary = expect_sweep_ok(path);
  if (!fs::exists(out_)) return;
  H5Reader out(out_);
  EXPECT_EQ(out.read_int64("/labels/cluster"), std::vector<int64_t>{-1});
  EXPECT_EQ(out.read_int64("/labels/dup_group"), std::vector<int64_t>{-1});
  EXPECT_EQ(out.read_int64("/accounts/id"), std::vector<int64_t>{0});
}

TEST_F(BadInput, TwoAccounts) {
  const std::string path = dir_ + "/two.h5";
  write_features(path, test::random_normal(2, 6, 28), 2, 6);
  auto summary = expect_sweep_ok(path);
  if (!fs::exists(out_)) return;
  H5Reader out(out_);
  auto labels = out.read_int64("/labels/cluster");
  ASSERT_EQ(labels.size(), 2u);
  for (int64_t l : labels) EXPECT_EQ(l, -1);  // two accounts cannot make a cluster
}

TEST_F(BadInput, KAtLeastN) {
  const std::string path = dir_ + "/five.h5";
  write_features(path, test::random_normal(5, 6, 29), 5, 6);
  auto summary = expect_sweep_ok(path, "-k 8 --min-pts 2 --write-graph");
  if (!fs::exists(out_)) return;
  H5Reader out(out_);
  EXPECT_EQ(out.read_int64("/labels/cluster").size(), 5u);
  const auto shape = out.shape("/graph/neighbors");
  ASSERT_EQ(shape.size(), 2u);
  EXPECT_EQ(shape[0], 5);
  // Only 4 other accounts exist: no row may list itself or an index outside [0, 5).
  auto neighbors = out.read_int64("/graph/neighbors");
  for (int64_t row = 0; row < 5; ++row) {
    for (int64_t j = 0; j < shape[1]; ++j) {
      const int64_t n = neighbors[static_cast<size_t>(row * shape[1] + j)];
      EXPECT_NE(n, row);
      EXPECT_LT(n, 5);
      EXPECT_GE(n, -1);  // -1 pads a row with fewer than k neighbours
    }
  }
}

TEST_F(BadInput, AllRowsIdentical) {
  const int64_t rows = 500, cols = 8;
  std::vector<float> one = test::random_normal(1, cols, 30);
  std::vector<float> values;
  for (int64_t i = 0; i < rows; ++i) values.insert(values.end(), one.begin(), one.end());
  const std::string path = dir_ + "/same.h5";
  write_features(path, values, rows, cols, 100, 4);
  // With and without standardisation: every feature then has zero deviation, which must not
  // turn identical accounts into unrelated ones.
  for (const std::string options : {"--no-standardize", ""}) {
    SCOPED_TRACE("options: " + options);
    fs::remove(out_);
    fs::remove(dir_ + "/out.summary.json");
    auto summary = expect_sweep_ok(path, options);
    if (!fs::exists(out_)) continue;
    EXPECT_EQ(summary["counts"]["dup_groups"], 1);
    H5Reader out(out_);
    EXPECT_EQ(out.read_int64("/dup_groups/size"), std::vector<int64_t>{rows});
    auto dup = out.read_int64("/labels/dup_group");
    ASSERT_EQ(dup.size(), static_cast<size_t>(rows));
    EXPECT_EQ(std::count(dup.begin(), dup.end(), 0), rows);
    for (float s : out.read_float32("/labels/score")) EXPECT_FALSE(std::isnan(s));
  }
}

// Files on which libhdf5 1.10 itself crashes (found by fuzzing): the CLI opens inputs in a child
// process first, so a crash there becomes exit 2 with one line, never a dead process.
TEST(CorruptHdf5, FilesThatCrashLibhdf5AreRefusedNotFatal) {
  const std::string folder = std::string(UNFRIEND_SOURCE_DIR) + "/tests/fuzz/known-hdf5-crashes";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("segv-", 0) != 0 && name.rfind("fpe-", 0) != 0) continue;
    const std::string out = test::scratch_dir() + "/out.h5";
    for (const std::string command : {"inspect '" + entry.path().string() + "'",
                                      "sweep '" + entry.path().string() + "' -o '" + out + "'"}) {
      auto r = test::run_unfriend(command);
      EXPECT_EQ(r.exit_code, 2) << command << "\n" << r.err;
      EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("corrupt HDF5 file"), std::string::npos) << r.err;
      EXPECT_FALSE(std::filesystem::exists(out));
    }
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

}  // namespace
}  // namespace unfriend
