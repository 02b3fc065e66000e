// HDF5 I/O: H5Writer / H5Reader / FeatureReader round trips, every bad input the readers must
// turn into a one-line InputError, writer atomicity and failure clean-up, and describe_file.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "host/core/error.h"
#include "host/io/feature_reader.h"
#include "host/io/float16.h"
#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "host/io/inspect.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

using test::file_exists;
using test::random_normal;
using test::scratch_dir;

using test::read_bytes;
using test::write_bytes;

// Runs `action`, which must throw InputError with a one-line message naming `path` and
// containing `needle`.
void expect_input_error(const std::function<void()>& action, const std::string& path,
                        const std::string& needle) {
  try {
    action();
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << "no file name in: " << message;
    EXPECT_NE(message.find(needle), std::string::npos)
        << "expected '" << needle << "' in: " << message;
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got another exception: " << e.what();
    return;
  }
  ADD_FAILURE() << "expected InputError containing '" << needle << "', nothing was thrown";
}

void expect_open_error(const std::string& path, const std::string& needle,
                       const std::string& features = "/accounts/features",
                       const std::string& ids = "/accounts/id") {
  expect_input_error([&] { FeatureReader reader(path, features, ids); }, path, needle);
}

// A valid input file: features [rows x cols] and, when `ids` is not empty, /accounts/id.
void write_input(const std::string& path, const std::vector<float>& features, int64_t rows,
                 int64_t cols, StoredFloat stored = StoredFloat::float32, int64_t chunk_rows = 0,
                 int gzip = 0, const std::vector<int64_t>& ids = {},
                 const std::string& features_path = "/accounts/features",
                 const std::string& ids_path = "/accounts/id") {
  H5Writer writer(path, true);
  writer.write_matrix(features_path, features.data(), rows, cols, stored, chunk_rows, gzip);
  if (!ids.empty()) writer.write_int64(ids_path, ids);
  writer.commit();
}

// Files the writer deliberately cannot make (odd types, ranks) are built with the C API.
struct RawFile {
  hid_t file;
  explicit RawFile(const std::string& path)
      : file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {
    EXPECT_GE(file, 0);
    H5Gclose(H5Gcreate2(file, "/accounts", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  }
  ~RawFile() { H5Fclose(file); }
  // An empty (never written) dataset of `type` and `dims`: enough to test validation.
  void dataset(const std::string& name, hid_t type, std::vector<hsize_t> dims) {
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t dataset =
        H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(dataset, 0) << name;
    H5Dclose(dataset);
    H5Sclose(space);
  }
};

// ------------------------------------------------------------------------------------------
// FeatureReader round trips over every stored type and layout, read in blocks of 100 rows that
// straddle the 64-row chunks.

struct RoundTripCase {
  StoredFloat stored;
  int64_t chunk_rows;
  int gzip;
  std::string name;
};

class FeatureRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

// Spacing of binary16 values around `value`: 11 significant bits for normal halves;
// subnormals (below 2^-14) have a fixed step of 2^-24.
float half_step(float value) {
  int exponent = 0;
  std::frexp(value, &exponent);  // value = m * 2^exponent, 0.5 <= |m| < 1
  return std::ldexp(1.f, std::max(exponent - 11, -24));
}

bool is_half_value(float value) {
  if (value == 0.f) return true;
  const float step = half_step(value);
  return std::nearbyint(value / step) * step == value;
}

// A stored float16 must be a binary16 value within half a step of the original (HDF5 rounds
// ties away from zero, numpy to even: both are accepted).
::testing::AssertionResult is_half_of(float got, float original) {
  if (is_half_value(got) && std::fabs(got - original) <= 0.5f * half_step(original)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << got << " is not the float16 of " << original;
}

TEST_P(FeatureRoundTrip, BlocksMatchWhatWasWritten) {
  const RoundTripCase& c = GetParam();
  const int64_t rows = 1001;
  const int64_t cols = 7;
  std::vector<float> features = random_normal(rows, cols, 7);
  features[3] = 1e-6f;  // a float16 subnormal
  features[4] = -0.f;
  const std::string path = scratch_dir() + "/in.h5";
  write_input(path, features, rows, cols, c.stored, c.chunk_rows, c.gzip);

  FeatureReader reader(path);
  const InputInfo& info = reader.info();
  EXPECT_EQ(info.rows, rows);
  EXPECT_EQ(info.cols, cols);
  EXPECT_FALSE(info.has_ids);
  EXPECT_EQ(info.file, path);
  EXPECT_EQ(info.features_path, "/accounts/features");
  EXPECT_EQ(info.dtype, c.stored == StoredFloat::float16   ? "float16"
                        : c.stored == StoredFloat::float32 ? "float32"
                                                           : "float64");
  if (c.chunk_rows > 0) {
    EXPECT_EQ(info.chunk, (std::vector<int64_t>{c.chunk_rows, cols}));
  } else {
    EXPECT_TRUE(info.chunk.empty());
  }
  EXPECT_EQ(info.compression, c.gzip > 0 ? "gzip" : "none");

  std::vector<float> got(static_cast<size_t>(rows * cols), std::nanf(""));
  const int64_t block = 100;
  for (int64_t begin = 0; begin < rows; begin += block) {
    const int64_t count = std::min(block, rows - begin);
    reader.read_rows(begin, count, got.data() + begin * cols);
  }
  for (size_t i = 0; i < features.size(); ++i) {
    if (c.stored == StoredFloat::float16) {
      ASSERT_TRUE(is_half_of(got[i], features[i])) << "element " << i;
    } else {
      ASSERT_EQ(got[i], features[i]) << "element " << i;
    }
  }
  EXPECT_TRUE(std::signbit(got[4]));

  // Awkward ranges: the last rows, one row inside a chunk, a zero-row read.
  std::vector<float> tail(2 * cols);
  reader.read_rows(rows - 2, 2, tail.data());
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), got.end() - 2 * cols));
  std::vector<float> one(cols);
  reader.read_rows(65, 1, one.data());
  EXPECT_TRUE(std::equal(one.begin(), one.end(), got.begin() + 65 * cols));
  reader.read_rows(rows, 0, one.data());
  EXPECT_THROW(reader.read_rows(rows - 1, 2, tail.data()), std::out_of_range);
  EXPECT_THROW(reader.read_rows(-1, 1, tail.data()), std::out_of_range);

  // Without ids the accounts are known by their row index.
  std::vector<int64_t> ids = reader.read_ids();
  ASSERT_EQ(ids.size(), static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) ASSERT_EQ(ids[static_cast<size_t>(i)], i);
}

INSTANTIATE_TEST_SUITE_P(
    StoredTypesAndLayouts, FeatureRoundTrip,
    ::testing::Values(RoundTripCase{StoredFloat::float16, 0, 0, "f16_contiguous"},
                      RoundTripCase{StoredFloat::float16, 64, 0, "f16_chunked"},
                      RoundTripCase{StoredFloat::float16, 64, 4, "f16_gzip"},
                      RoundTripCase{StoredFloat::float32, 0, 0, "f32_contiguous"},
                      RoundTripCase{StoredFloat::float32, 64, 0, "f32_chunked"},
                      RoundTripCase{StoredFloat::float32, 64, 6, "f32_gzip"},
                      RoundTripCase{StoredFloat::float64, 0, 0, "f64_contiguous"},
                      RoundTripCase{StoredFloat::float64, 64, 0, "f64_chunked"},
                      RoundTripCase{StoredFloat::float64, 64, 1, "f64_gzip"}),
    [](const ::testing::TestParamInfo<RoundTripCase>& info) { return info.param.name; });

// ------------------------------------------------------------------------------------------
// float16 conversion (ours, not HDF5's: see host/io/float16.h).

// Nearest binary16 value by plain arithmetic (x / step is exact, nearbyint ties to even).
float reference_half(float x) {
  if (std::isnan(x) || std::isinf(x)) return x;
  if (std::fabs(x) >= 65520.f) return std::copysign(INFINITY, x);
  if (x == 0.f) return x;
  const float step = half_step(x);
  const float rounded = std::nearbyint(x / step) * step;
  return rounded == 0.f ? std::copysign(0.f, x) : rounded;
}

TEST(Float16, EveryHalfRoundTripsExactly) {
  for (uint32_t bits = 0; bits < 65536u; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    const float value = half_to_float(h);
    if (std::isnan(value)) {
      EXPECT_EQ(bits & 0x7c00u, 0x7c00u);
      EXPECT_TRUE(std::isnan(half_to_float(float_to_half(value))));
      continue;
    }
    ASSERT_EQ(float_to_half(value), h) << "half 0x" << std::hex << bits;
  }
  EXPECT_EQ(half_to_float(0x3c00), 1.f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.f, -24));
  EXPECT_EQ(half_to_float(0x7bff), 65504.f);
  EXPECT_TRUE(std::isinf(half_to_float(0xfc00)) && half_to_float(0xfc00) < 0);
}

TEST(Float16, RoundsToNearestEvenLikeNumpy) {
  EXPECT_EQ(float_to_half(0.24994122982025146f), 0x3400);  // HDF5 1.10 writes 0x3000 here
  EXPECT_EQ(float_to_half(65519.f), 0x7bff);
  EXPECT_EQ(float_to_half(65520.f), 0x7c00);
  EXPECT_EQ(float_to_half(1.f + std::ldexp(1.f, -11)), 0x3c00);      // tie: down to even
  EXPECT_EQ(float_to_half(1.f + 3 * std::ldexp(1.f, -11)), 0x3c02);  // tie: up to even
  EXPECT_EQ(float_to_half(std::ldexp(1.f, -25)), 0x0000);            // tie between 0 and 2^-24
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(float_to_half(-0.f), 0x8000);
  std::mt19937 rng(5);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 2000000; ++i) {
    // Random bit patterns, with the exponent pulled into and around the half range.
    uint32_t bits = any_bits(rng);
    const uint32_t exponent = 127 - 28 + (bits >> 23) % 48;
    bits = (bits & 0x807fffffu) | (exponent << 23);
    float x = 0;
    std::memcpy(&x, &bits, sizeof(x));
    const float expected = reference_half(x);
    const float got = half_to_float(float_to_half(x));
    ASSERT_TRUE(got == expected && std::signbit(got) == std::signbit(expected))
        << x << " -> " << got << ", expected " << expected;
  }
  std::vector<float> values = {0.5f, -3.25f, 1e-5f};
  std::vector<uint16_t> halves(values.size());
  floats_to_halves(values.data(), halves.data(), 3);
  std::vector<float> back(3);
  halves_to_floats(halves.data(), back.data(), 3);
  EXPECT_EQ(back[0], 0.5f);
  EXPECT_EQ(back[1], -3.25f);
  EXPECT_EQ(back[2], reference_half(1e-5f));
  // In place: halves packed at the front of a float buffer.
  std::vector<float> buffer(3);
  std::memcpy(buffer.data(), halves.data(), 3 * sizeof(uint16_t));
  widen_halves_in_place(buffer.data(), 3);
  EXPECT_EQ(buffer, back);
}

TEST(FeatureReader, Float16IsStoredAsIeeeHalfLikeH5py) {
  const std::string path = scratch_dir() + "/half.h5";
  // 0.24994... rounds up into the next binade: HDF5's own conversion gets it wrong.
  std::vector<float> features = {1.f, -2.5f, 65504.f, 0.24994122982025146f};
  write_input(path, features, 2, 2, StoredFloat::float16);
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t dataset = H5Dopen2(file, "/accounts/features", H5P_DEFAULT);
  hid_t type = H5Dget_type(dataset);
  size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
  H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize);
  EXPECT_EQ(H5Tget_class(type), H5T_FLOAT);
  EXPECT_EQ(H5Tget_size(type), 2u);
  EXPECT_EQ(H5Tget_ebias(type), 15u);
  EXPECT_EQ(H5Tget_order(type), H5T_ORDER_LE);
  EXPECT_EQ((std::vector<size_t>{spos, epos, esize, mpos, msize}),
            (std::vector<size_t>{15, 10, 5, 0, 10}));
  // The raw bits are the IEEE binary16 patterns numpy would write.
  std::vector<uint16_t> bits(4);
  EXPECT_GE(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bits.data()), 0);
  EXPECT_EQ(bits, (std::vector<uint16_t>{0x3C00, 0xC100, 0x7BFF, 0x3400}));
  H5Tclose(type);
  H5Dclose(dataset);
  H5Fclose(file);
}

TEST(FeatureReader, ReadsIdsAndCustomPaths) {
  const std::string dir = scratch_dir();
  const int64_t rows = 37;
  const int64_t cols = 3;
  std::vector<float> features = random_normal(rows, cols, 11);
  std::vector<int64_t> ids(rows);
  for (int64_t i = 0; i < rows; ++i) ids[static_cast<size_t>(i)] = 1000000007LL * (rows - i);

  const std::string path = dir + "/custom.h5";
  write_input(path, features, rows, cols, StoredFloat::float32, 8, 0, ids, "/deep/x/feat",
              "/meta/account_id");
  FeatureReader reader(path, "/deep/x/feat", "/meta/account_id");
  EXPECT_TRUE(reader.info().has_ids);
  EXPECT_EQ(reader.info().ids_path, "/meta/account_id");
  EXPECT_EQ(reader.read_ids(), ids);
  std::vector<float> got(features.size());
  reader.read_rows(0, rows, got.data());
  EXPECT_EQ(got, features);

  // The default paths do not exist in this file; with no ids path the rows are the ids.
  expect_open_error(path, "missing features dataset /accounts/features");
  FeatureReader no_ids(path, "deep/x/feat", "");
  EXPECT_FALSE(no_ids.info().has_ids);
  EXPECT_EQ(no_ids.info().features_path, "/deep/x/feat");
  EXPECT_EQ(no_ids.read_ids()[5], 5);

  // int32 ids are widened.
  const std::string narrow = dir + "/int32_ids.h5";
  {
    H5Writer writer(narrow, false);
    writer.write_matrix("/accounts/features", features.data(), rows, cols);
    std::vector<int32_t> small(rows);
    std::iota(small.begin(), small.end(), -5);
    writer.write_int32("/accounts/id", small);
    writer.commit();
  }
  FeatureReader widened(narrow);
  EXPECT_EQ(widened.read_ids().front(), -5);
  EXPECT_EQ(widened.read_ids().back(), rows - 6);
}

TEST(FeatureReader, SuggestedBlockRowsFollowsChunks) {
  const std::string dir = scratch_dir();
  const int64_t rows = 1001;
  const int64_t cols = 7;
  std::vector<float> features = random_normal(rows, cols, 3);
  const std::string chunked = dir + "/chunked.h5";
  write_input(chunked, features, rows, cols, StoredFloat::float32, 64);
  FeatureReader reader(chunked);
  const int64_t row_bytes = cols * 4;
  EXPECT_EQ(reader.suggested_block_rows(100 * row_bytes), 128);  // 100 rows -> 2 chunks
  EXPECT_EQ(reader.suggested_block_rows(90 * row_bytes), 64);
  EXPECT_EQ(reader.suggested_block_rows(1), 64);                   // never below one chunk
  EXPECT_EQ(reader.suggested_block_rows(int64_t{1} << 30), rows);  // never above N
  for (int64_t target : {int64_t{500}, int64_t{7000}, int64_t{20000}}) {
    const int64_t block = reader.suggested_block_rows(target);
    EXPECT_TRUE(block % 64 == 0 || block == rows) << block;
  }
  const std::string contiguous = dir + "/contiguous.h5";
  write_input(contiguous, features, rows, cols);
  FeatureReader plain(contiguous);
  EXPECT_EQ(plain.suggested_block_rows(10 * row_bytes), 10);
  EXPECT_EQ(plain.suggested_block_rows(1), 1);
  EXPECT_EQ(plain.suggested_block_rows(), rows);
}

TEST(FeatureReader, StreamedMatrixWritesEqualOneWrite) {
  const std::string path = scratch_dir() + "/streamed.h5";
  const int64_t rows = 250;
  const int64_t cols = 5;
  std::vector<float> features = random_normal(rows, cols, 21);
  {
    H5Writer writer(path, false);
    writer.create_matrix("/accounts/features", rows, cols, StoredFloat::float32, 32, 3);
    for (int64_t begin = 0; begin < rows; begin += 77) {
      const int64_t count = std::min<int64_t>(77, rows - begin);
      writer.write_matrix_rows("/accounts/features", begin, count, features.data() + begin * cols);
    }
    EXPECT_THROW(writer.write_matrix_rows("/accounts/features", rows - 1, 2, features.data()),
                 std::invalid_argument);
    writer.commit();
  }
  FeatureReader reader(path);
  EXPECT_EQ(reader.info().compression, "gzip");
  std::vector<float> got(features.size());
  reader.read_rows(0, rows, got.data());
  EXPECT_EQ(got, features);
}

// ------------------------------------------------------------------------------------------
// H5Reader

TEST(H5Reader, RoundTripsDatasetsStringsAndAttributes) {
  const std::string path = scratch_dir() + "/result.h5";
  const std::vector<int64_t> labels = {
      -1, 0, 0, 7, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  const std::vector<int32_t> small = {3, -4, 5};
  const std::vector<float> scores = {0.5f, -1.25f, 3.0e-8f};
  const std::vector<double> precise = {1.0 / 3.0, -2.0, 1e300};
  const std::vector<std::string> names = {"alice", "", "Zoë ✓", std::string(300, 'x')};
  const std::vector<int64_t> neighbors = {1, 2, 0, 2, 0, 1};
  {
    H5Writer writer(path, false);
    writer.write_int64("/labels/cluster", labels);
    writer.write_int32("/labels/small", small);
    writer.write_float32("/scores/score", scores);
    writer.write_float64("/scores/precise", precise);
    writer.write_strings("/accounts/name", names);
    writer.write_strings("/accounts/none", {});
    writer.write_int64("/empty", {});
    writer.write_int64_matrix("/graph/neighbors", neighbors.data(), 3, 2);
    writer.write_float32_matrix("/graph/similarity", scores.data(), 3, 1);
    writer.set_attribute("/", "created_by", "unfriend test");
    writer.set_attribute("/", "threshold", 0.875);
    writer.set_attribute("/", "seed", int64_t{1} << 40);
    writer.set_attribute("/", "k", 32);
    writer.set_attribute("/labels/cluster", "meaning", std::string("farm id, -1 genuine"));
    writer.set_attribute("/", "threshold", 0.9);  // replacing is allowed
    EXPECT_THROW(writer.write_int64("/labels/cluster", labels), std::invalid_argument);
    EXPECT_THROW(writer.write_int64("/labels/cluster/below", labels), std::invalid_argument);
    EXPECT_THROW(writer.set_attribute("/missing", "x", 1.0), std::invalid_argument);
    writer.commit();
  }
  H5Reader reader(path);
  EXPECT_EQ(reader.read_int64("/labels/cluster"), labels);
  EXPECT_EQ(reader.read_int64("labels/small"), (std::vector<int64_t>{3, -4, 5}));
  EXPECT_EQ(reader.read_float32("/scores/score"), scores);
  EXPECT_EQ(reader.read_float64("/scores/precise"), precise);
  EXPECT_EQ(reader.read_float32("/scores/precise")[0], static_cast<float>(1.0 / 3.0));
  EXPECT_EQ(reader.read_strings("/accounts/name"), names);
  EXPECT_TRUE(reader.read_strings("/accounts/none").empty());
  EXPECT_TRUE(reader.read_int64("/empty").empty());
  EXPECT_EQ(reader.read_int64("/graph/neighbors"), neighbors);
  EXPECT_EQ(reader.shape("/graph/neighbors"), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(reader.shape("/accounts/name"), (std::vector<int64_t>{4}));
  EXPECT_EQ(reader.read_string_attribute("/", "created_by"), "unfriend test");
  EXPECT_EQ(reader.read_string_attribute("/labels/cluster", "meaning"), "farm id, -1 genuine");
  EXPECT_EQ(reader.read_double_attribute("/", "threshold"), 0.9);
  EXPECT_EQ(reader.read_int64_attribute("/", "seed"), int64_t{1} << 40);
  EXPECT_EQ(reader.read_int64_attribute("/", "k"), 32);
  EXPECT_EQ(reader.read_double_attribute("/", "k"), 32.0);
  EXPECT_TRUE(reader.has_attribute("/", "seed"));
  EXPECT_FALSE(reader.has_attribute("/", "nope"));
  EXPECT_FALSE(reader.has_attribute("/no/such", "seed"));

  EXPECT_TRUE(reader.has("/"));
  EXPECT_TRUE(reader.has("/labels"));
  EXPECT_TRUE(reader.has("/labels/cluster"));
  EXPECT_TRUE(reader.has("graph//neighbors/"));
  EXPECT_FALSE(reader.has("/labels/nope"));
  EXPECT_FALSE(reader.has("/a/b/c/d"));
  EXPECT_FALSE(reader.has("/labels/cluster/below_a_dataset"));

  expect_input_error([&] { reader.read_int64("/scores/score"); }, path, "expected integers");
  expect_input_error([&] { reader.read_float32("/labels/cluster"); }, path, "floating point");
  expect_input_error([&] { reader.read_strings("/labels/cluster"); }, path, "expected strings");
  expect_input_error([&] { reader.read_int64("/a/b"); }, path, "missing dataset /a/b");
  expect_input_error([&] { reader.read_int64("/labels"); }, path, "is a group");
  expect_input_error([&] { reader.read_string_attribute("/", "threshold"); }, path,
                     "expected a string");
  expect_input_error([&] { reader.read_string_attribute("/", "absent"); }, path,
                     "no attribute 'absent'");
  expect_input_error([&] { reader.read_int64_attribute("/", "threshold"); }, path,
                     "expected an integer");
}

TEST(H5Reader, StringsAreVariableLengthUtf8AndFixedStringsRead) {
  const std::string path = scratch_dir() + "/strings.h5";
  {
    H5Writer writer(path, false);
    writer.write_strings("/names", {"a", "bc"});
    writer.commit();
  }
  {
    hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t dataset = H5Dopen2(file, "/names", H5P_DEFAULT);
    hid_t type = H5Dget_type(dataset);
    EXPECT_GT(H5Tis_variable_str(type), 0);
    EXPECT_EQ(H5Tget_cset(type), H5T_CSET_UTF8);
    H5Tclose(type);
    H5Dclose(dataset);
    // Fixed-length strings as numpy's "S6" writes them (null padded) and space padded ones.
    for (H5T_str_t pad : {H5T_STR_NULLPAD, H5T_STR_SPACEPAD}) {
      hid_t fixed = H5Tcopy(H5T_C_S1);
      H5Tset_size(fixed, 6);
      H5Tset_strpad(fixed, pad);
      const char* data = pad == H5T_STR_NULLPAD ? "abcdefxy\0\0\0\0" : "abcdefxy    ";
      hsize_t n = 2;
      hid_t space = H5Screate_simple(1, &n, nullptr);
      const char* name = pad == H5T_STR_NULLPAD ? "/fixed_null" : "/fixed_space";
      hid_t d = H5Dcreate2(file, name, fixed, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      H5Dwrite(d, fixed, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
      H5Dclose(d);
      H5Sclose(space);
      H5Tclose(fixed);
    }
    hid_t fixed = H5Tcopy(H5T_C_S1);
    H5Tset_size(fixed, 8);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t attribute = H5Acreate2(file, "fixed_attr", fixed, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attribute, fixed, "v1.2\0\0\0\0");
    H5Aclose(attribute);
    H5Sclose(scalar);
    H5Tclose(fixed);
    H5Fclose(file);
  }
  H5Reader reader(path);
  EXPECT_EQ(reader.read_strings("/names"), (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(reader.read_strings("/fixed_null"), (std::vector<std::string>{"abcdef", "xy"}));
  EXPECT_EQ(reader.read_strings("/fixed_space"), (std::vector<std::string>{"abcdef", "xy"}));
  EXPECT_EQ(reader.read_string_attribute("/", "fixed_attr"), "v1.2");
}

// ------------------------------------------------------------------------------------------
// Bad input: one line, naming the file.

TEST(BadInput, MissingFileNotHdf5AndTruncated) {
  const std::string dir = scratch_dir();
  expect_open_error(dir + "/nope.h5", "no such file");
  expect_input_error([&] { H5Reader reader(dir + "/nope.h5"); }, dir + "/nope.h5", "no such file");
  expect_open_error(dir, "folder");
  const std::string pipe = dir + "/pipe";
  ASSERT_EQ(::mkfifo(pipe.c_str(), 0600), 0);
  expect_open_error(pipe, "not a regular file");  // and does not block waiting for a writer

  const std::string text = dir + "/notes.txt";
  write_bytes(text, "id,feature\n1,0.5\n");
  expect_open_error(text, "not an HDF5 file");
  expect_input_error([&] { H5Reader reader(text); }, text, "not an HDF5 file");
  const std::string empty = dir + "/empty.h5";
  write_bytes(empty, "");
  expect_open_error(empty, "not an HDF5 file");

  const std::string valid = dir + "/valid.h5";
  std::vector<float> features = random_normal(500, 16, 5);
  write_input(valid, features, 500, 16, StoredFloat::float32, 0, 0, std::vector<int64_t>(500, 0));
  const std::string bytes = read_bytes(valid);
  const std::string truncated = dir + "/truncated.h5";
  write_bytes(truncated, bytes.substr(0, bytes.size() / 2));
  expect_open_error(truncated, "truncated or corrupt");
  expect_input_error([&] { H5Reader reader(truncated); }, truncated, "truncated or corrupt");
}

TEST(BadInput, MissingDatasetAndWrongRank) {
  const std::string dir = scratch_dir();
  const std::string missing = dir + "/missing.h5";
  {
    H5Writer writer(missing, false);
    writer.write_int64("/accounts/id", {1, 2, 3});
    writer.commit();
  }
  expect_open_error(missing, "missing features dataset /accounts/features");
  expect_open_error(missing, "is a group", "/accounts");

  const std::string one_d = dir + "/one_d.h5";
  {
    H5Writer writer(one_d, false);
    writer.write_float32("/accounts/features", {1.f, 2.f, 3.f});
    writer.commit();
  }
  expect_open_error(one_d, "has rank 1, expected 2");

  const std::string three_d = dir + "/three_d.h5";
  {
    RawFile raw(three_d);
    raw.dataset("/accounts/features", H5T_IEEE_F32LE, {4, 3, 2});
  }
  expect_open_error(three_d, "/accounts/features has rank 3, expected 2");
}

TEST(BadInput, EmptyAndZeroWidth) {
  const std::string dir = scratch_dir();
  const std::string no_rows = dir + "/no_rows.h5";
  write_input(no_rows, {}, 0, 8);
  expect_open_error(no_rows, "empty dataset");
  const std::string no_cols = dir + "/no_cols.h5";
  write_input(no_cols, {}, 12, 0);
  expect_open_error(no_cols, "0 columns");
  // Requests for chunking or gzip are ignored for empty matrices rather than failing.
  const std::string chunked_empty = dir + "/chunked_empty.h5";
  write_input(chunked_empty, {}, 0, 8, StoredFloat::float16, 64, 5);
  expect_open_error(chunked_empty, "empty dataset");
}

TEST(BadInput, NonFloatFeatures) {
  const std::string dir = scratch_dir();
  const std::string integers = dir + "/integers.h5";
  {
    H5Writer writer(integers, false);
    std::vector<int64_t> values(12, 1);
    writer.write_int64_matrix("/accounts/features", values.data(), 4, 3);
    writer.commit();
  }
  expect_open_error(integers, "integer type int64, expected float16, float32 or float64");

  const std::string compound = dir + "/compound.h5";
  {
    RawFile raw(compound);
    hid_t type = H5Tcreate(H5T_COMPOUND, 12);
    H5Tinsert(type, "id", 0, H5T_STD_I64LE);
    H5Tinsert(type, "x", 8, H5T_IEEE_F32LE);
    raw.dataset("/accounts/features", type, {5, 2});
    H5Tclose(type);
  }
  expect_open_error(compound, "compound type compound{id: int64, x: float32}");

  const std::string strings = dir + "/strings.h5";
  {
    RawFile raw(strings);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    raw.dataset("/accounts/features", type, {5, 2});
    H5Tclose(type);
  }
  expect_open_error(strings, "string type");
}

TEST(BadInput, IdsOfWrongShapeTypeOrLength) {
  const std::string dir = scratch_dir();
  std::vector<float> features = random_normal(10, 4, 9);

  const std::string short_ids = dir + "/short_ids.h5";
  write_input(short_ids, features, 10, 4, StoredFloat::float32, 0, 0, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  expect_open_error(short_ids, "/accounts/id has 9 ids but /accounts/features has 10 rows");

  const std::string float_ids = dir + "/float_ids.h5";
  {
    H5Writer writer(float_ids, false);
    writer.write_matrix("/accounts/features", features.data(), 10, 4);
    writer.write_float64("/accounts/id", std::vector<double>(10, 1.0));
    writer.commit();
  }
  expect_open_error(float_ids, "float type float64, expected integers");

  const std::string matrix_ids = dir + "/matrix_ids.h5";
  {
    H5Writer writer(matrix_ids, false);
    writer.write_matrix("/accounts/features", features.data(), 10, 4);
    std::vector<int64_t> ids(20, 1);
    writer.write_int64_matrix("/accounts/id", ids.data(), 10, 2);
    writer.commit();
  }
  expect_open_error(matrix_ids, "has rank 2, expected 1");
}

TEST(BadInput, DuplicateIdsNameTheFirstRepeat) {
  const std::string dir = scratch_dir();
  const std::string path = dir + "/dup.h5";
  std::vector<float> features = random_normal(10, 2, 1);
  // 42 repeats at rows 3 and 7; 5 repeats later (rows 1 and 9): the first repeat is row 7.
  write_input(path, features, 10, 2, StoredFloat::float32, 0, 0,
              {100, 5, 101, 42, 102, 103, 104, 42, 105, 5});
  FeatureReader reader(path);  // opening succeeds; uniqueness is read_ids()'s check
  expect_input_error([&] { reader.read_ids(); }, path, "repeats id 42 (rows 3 and 7");

  const std::string huge = dir + "/uint64.h5";
  {
    RawFile raw(huge);
    hsize_t dims[2] = {2, 1};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t d = H5Dcreate2(raw.file, "/accounts/features", H5T_IEEE_F32LE, space, H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT);
    float values[2] = {1.f, 2.f};
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(d);
    H5Sclose(space);
    hsize_t n = 2;
    space = H5Screate_simple(1, &n, nullptr);
    d = H5Dcreate2(raw.file, "/accounts/id", H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                   H5P_DEFAULT);
    // Both would clip to INT64_MAX and look like a false duplicate if converted silently.
    uint64_t ids[2] = {~uint64_t{0}, ~uint64_t{0} - 1};
    H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids);
    H5Dclose(d);
    H5Sclose(space);
  }
  FeatureReader wide(huge);
  expect_input_error([&] { wide.read_ids(); }, huge, "does not fit in int64");
}

TEST(FeatureReaderTest, NonFiniteValuesComeBackAsStored) {
  // The reader does not judge values: the sweep applies --on-invalid (error naming the row, or
  // skip) to NaN and Inf rows, so they must reach it unchanged.
  const std::string path = scratch_dir() + "/nan.h5";
  std::vector<float> features = random_normal(20, 3, 2);
  features[13 * 3 + 1] = std::nanf("");
  features[15 * 3 + 2] = INFINITY;
  write_input(path, features, 20, 3);
  FeatureReader reader(path);
  std::vector<float> out(10 * 3);
  reader.read_rows(10, 10, out.data());
  EXPECT_TRUE(std::isnan(out[3 * 3 + 1]));
  EXPECT_TRUE(std::isinf(out[5 * 3 + 2]));
  EXPECT_EQ(out[0], features[30]);
}

// Overwrites the compressed bytes of one chunk in place; returns that chunk's first row.
int64_t break_one_chunk(const std::string& path, const std::string& dataset_name,
                        hsize_t chunk_index) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t dataset = H5Dopen2(file, dataset_name.c_str(), H5P_DEFAULT);
  // 1.10.8 rejects H5S_ALL here: pass the dataset's own space.
  hid_t space = H5Dget_space(dataset);
  hsize_t chunks = 0;
  EXPECT_GE(H5Dget_num_chunks(dataset, space, &chunks), 0);
  EXPECT_GT(chunks, chunk_index);
  hsize_t offset[2] = {0, 0};
  unsigned filter_mask = 0;
  haddr_t address = 0;
  hsize_t size = 0;
  EXPECT_GE(H5Dget_chunk_info(dataset, space, chunk_index, offset, &filter_mask, &address, &size),
            0);
  H5Sclose(space);
  H5Dclose(dataset);
  H5Fclose(file);
  EXPECT_GT(size, 8u);
  std::string bytes = read_bytes(path);
  EXPECT_LT(address + size, bytes.size());
  // After the 2-byte zlib header, 0xFF starts a deflate block of the reserved type 3:
  // inflate must fail (and the adler32 trailer no longer matches either).
  for (hsize_t i = 2; i < size; ++i) bytes[address + i] = static_cast<char>(0xFF);
  write_bytes(path, bytes);
  return static_cast<int64_t>(offset[0]);
}

TEST(BadInput, BrokenChunkFailsOnlyTheBlocksThatTouchIt) {
  const std::string path = scratch_dir() + "/broken.h5";
  const int64_t rows = 1001;
  const int64_t cols = 7;
  std::vector<float> features = random_normal(rows, cols, 13);
  write_input(path, features, rows, cols, StoredFloat::float32, 64, 6);
  const int64_t broken_first_row = break_one_chunk(path, "/accounts/features", 5);
  ASSERT_EQ(broken_first_row, 5 * 64);

  FeatureReader reader(path);  // metadata is intact: the damage shows on the read
  std::vector<float> out(static_cast<size_t>(100 * cols));
  reader.read_rows(0, 100, out.data());
  EXPECT_TRUE(std::equal(out.begin(), out.end(), features.begin()));
  expect_input_error([&] { reader.read_rows(300, 100, out.data()); }, path,
                     "cannot read rows 300..399 of /accounts/features");
  // The reader stays usable for the intact chunks after the failure.
  reader.read_rows(400, 100, out.data());
  EXPECT_TRUE(std::equal(out.begin(), out.end(), features.begin() + 400 * cols));

  FileDescription description = describe_file(path, DescribeOptions{});
  EXPECT_TRUE(description.valid_input);  // ids and metadata only
  DescribeOptions full;
  full.read_all_rows = true;
  description = describe_file(path, full);
  EXPECT_FALSE(description.valid_input);
  EXPECT_NE(description.reason.find("cannot read rows"), std::string::npos) << description.reason;
}

TEST(BadInput, UnreadableFilterIsReportedOnOpen) {
  // An HDF5 "optional" filter the library does not have (e.g. a plugin compressor) must be
  // reported when the file is opened, not halfway through a sweep.
  const std::string path = scratch_dir() + "/plugin.h5";
  {
    RawFile raw(path);
    hsize_t dims[2] = {4, 2};
    hsize_t chunk[2] = {2, 2};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    // 256-511 are HDF5's ids for testing: no plugin will ever provide 300.
    H5Pset_filter(dcpl, 300, H5Z_FLAG_OPTIONAL, 0, nullptr);
    hid_t d = H5Dcreate2(raw.file, "/accounts/features", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl,
                         H5P_DEFAULT);
    EXPECT_GE(d, 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
  }
  expect_open_error(path, "needs HDF5 filter 300");
}

// ------------------------------------------------------------------------------------------
// H5Writer: refusing, atomicity, failure clean-up.

TEST(H5Writer, RefusesUnwritableOutputs) {
  const std::string dir = scratch_dir();
  const std::string nowhere = dir + "/no/such/folder/out.h5";
  expect_input_error([&] { H5Writer writer(nowhere, true); }, nowhere,
                     "cannot create output (folder");
  EXPECT_FALSE(file_exists(dir + "/no"));

  const std::string existing = dir + "/exists.h5";
  write_bytes(existing, "keep me");
  expect_input_error([&] { H5Writer writer(existing, false); }, existing,
                     "exists (use --overwrite)");
  EXPECT_EQ(read_bytes(existing), "keep me");

  expect_input_error([&] { H5Writer writer(dir, true); }, dir, "cannot create output");
  const std::string under_file = existing + "/out.h5";
  expect_input_error([&] { H5Writer writer(under_file, true); }, under_file,
                     "cannot create output");

  // Overwrite replaces the old file only at commit.
  {
    H5Writer writer(existing, true);
    writer.write_int64("/x", {1});
    EXPECT_EQ(read_bytes(existing), "keep me");
    writer.commit();
  }
  EXPECT_EQ(H5Reader(existing).read_int64("/x"), (std::vector<int64_t>{1}));

  std::vector<float> data(4, 1.f);
  H5Writer writer(dir + "/gzip.h5", false);
  expect_input_error(
      [&] { writer.write_matrix("/m", data.data(), 2, 2, StoredFloat::float32, 0, 10); },
      dir + "/gzip.h5", "gzip level 10");
}

TEST(H5Writer, NothingUnderTheFinalNameBeforeCommit) {
  const std::string dir = scratch_dir();
  const std::string path = dir + "/out.h5";
  {
    H5Writer writer(path, false);
    EXPECT_EQ(writer.temp_path(), path + ".tmp-" + std::to_string(::getpid()));
    writer.write_int64("/labels/cluster", {1, 2, 3});
    EXPECT_FALSE(file_exists(path));
    EXPECT_TRUE(file_exists(writer.temp_path()));
    writer.commit();
    EXPECT_TRUE(file_exists(path));
    EXPECT_FALSE(file_exists(writer.temp_path()));
    EXPECT_THROW(writer.write_int64("/late", {1}), std::logic_error);
  }
  EXPECT_EQ(H5Reader(path).read_int64("/labels/cluster"), (std::vector<int64_t>{1, 2, 3}));

  const std::string abandoned = dir + "/abandoned.h5";
  std::string temp;
  {
    H5Writer writer(abandoned, false);
    temp = writer.temp_path();
    writer.write_int64("/labels/cluster", {1, 2, 3});
    EXPECT_TRUE(file_exists(temp));
  }
  EXPECT_FALSE(file_exists(abandoned));
  EXPECT_FALSE(file_exists(temp));
}

// In a child process (the limit must not leak into other tests): a file-size limit makes
// write() fail with EFBIG exactly as a full disk fails with ENOSPC. Exits 0 when the writer
// reported a one-line RuntimeFailure naming the file and left no file behind.
[[noreturn]] void write_past_file_size_limit(const std::string& path) {
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = 256 * 1024;
  setrlimit(RLIMIT_FSIZE, &limit);
  std::vector<float> big(1 << 20, 0.5f);  // 4 MiB
  std::string temp;
  try {
    H5Writer writer(path, true);
    temp = writer.temp_path();
    writer.write_matrix("/accounts/features", big.data(), 1 << 14, 64);
    writer.commit();
    std::fprintf(stderr, "no failure reported\n");
    std::_Exit(1);
  } catch (const RuntimeFailure& e) {
    const std::string message = e.what();
    std::fprintf(stderr, "%s\n", message.c_str());
    const bool ok = message.find('\n') == std::string::npos &&
                    message.find(path) != std::string::npos && !temp.empty() &&
                    !file_exists(temp) && !file_exists(path);
    std::_Exit(ok ? 0 : 2);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wrong exception: %s\n", e.what());
    std::_Exit(3);
  }
}

TEST(H5Writer, WriteFailureRemovesTheTempFile) {
  const std::string path = scratch_dir() + "/full.h5";
  EXPECT_EXIT(write_past_file_size_limit(path), ::testing::ExitedWithCode(0), "cannot write");
  EXPECT_FALSE(file_exists(path));
}

// ------------------------------------------------------------------------------------------
// Reading never changes the input.

TEST(ReadOnly, InputBytesAreUnchanged) {
  const std::string path = scratch_dir() + "/in.h5";
  const int64_t rows = 300;
  const int64_t cols = 9;
  std::vector<float> features = random_normal(rows, cols, 17);
  std::vector<int64_t> ids(rows);
  std::iota(ids.begin(), ids.end(), 1000);
  write_input(path, features, rows, cols, StoredFloat::float16, 32, 4, ids);
  const std::string before = read_bytes(path);
  {
    FeatureReader reader(path);
    std::vector<float> out(features.size());
    reader.read_rows(0, rows, out.data());
    reader.read_ids();
    H5Reader other(path);
    other.read_int64("/accounts/id");
    other.shape("/accounts/features");
    DescribeOptions full;
    full.read_all_rows = true;
    EXPECT_TRUE(describe_file(path, full).valid_input);
  }
  EXPECT_EQ(read_bytes(path), before);
}

// ------------------------------------------------------------------------------------------
// describe_file (the library side of `unfriend inspect`).

TEST(Describe, ListsObjectsAttributesAndVerdict) {
  const std::string dir = scratch_dir();
  const std::string path = dir + "/described.h5";
  const int64_t rows = 130;
  const int64_t cols = 6;
  std::vector<float> features = random_normal(rows, cols, 4);
  std::vector<int64_t> ids(rows);
  std::iota(ids.begin(), ids.end(), 0);
  {
    H5Writer writer(path, false);
    writer.write_matrix("/accounts/features", features.data(), rows, cols, StoredFloat::float16, 64,
                        4);
    writer.write_int64("/accounts/id", ids);
    writer.write_strings("/accounts/name", std::vector<std::string>(rows, "n"));
    writer.set_attribute("/", "source", std::string(200, 's') + "\nsecond line");
    writer.set_attribute("/", "seed", 42);
    writer.set_attribute("/", "noise", 0.25);
    writer.commit();
  }
  FileDescription d = describe_file(path);
  EXPECT_TRUE(d.is_hdf5);
  EXPECT_TRUE(d.valid_input) << d.reason;
  EXPECT_GT(d.size_bytes, 0);
  EXPECT_EQ(d.unique_ids, rows);
  EXPECT_EQ(d.input.rows, rows);
  EXPECT_EQ(d.input.dtype, "float16");
  ASSERT_EQ(d.objects.size(), 5u);  // /, /accounts and three datasets
  EXPECT_EQ(d.objects[0].path, "/");
  EXPECT_EQ(d.objects[0].attributes, 3);
  const ObjectDescription* features_entry = nullptr;
  for (const ObjectDescription& o : d.objects) {
    if (o.path == "/accounts/features") features_entry = &o;
  }
  ASSERT_NE(features_entry, nullptr);
  EXPECT_EQ(features_entry->kind, "dataset");
  EXPECT_EQ(features_entry->shape, (std::vector<int64_t>{rows, cols}));
  EXPECT_EQ(features_entry->dtype, "float16");
  EXPECT_EQ(features_entry->chunk, (std::vector<int64_t>{64, cols}));
  EXPECT_EQ(features_entry->filters, "gzip");
  ASSERT_EQ(d.root_attributes.size(), 3u);
  for (const AttributeDescription& a : d.root_attributes) {
    if (a.name == "source") {
      EXPECT_LT(a.value.size(), 80u);  // shortened
      EXPECT_EQ(a.value.find('\n'), std::string::npos);
    } else if (a.name == "seed") {
      EXPECT_EQ(a.value, "42");
    } else {
      EXPECT_EQ(a.value, "0.25");
    }
  }
  const std::string text = format_description(d);
  EXPECT_NE(text.find("/accounts/features"), std::string::npos);
  EXPECT_NE(text.find("chunks 64 x 6"), std::string::npos) << text;
  EXPECT_NE(text.find("input: valid"), std::string::npos) << text;
  const nlohmann::json json = description_to_json(d);
  EXPECT_EQ(json["valid"], true);
  EXPECT_EQ(json["input"]["rows"], rows);
  EXPECT_EQ(json["input"]["compression"], "gzip");
  EXPECT_EQ(json["objects"].size(), 5u);
  EXPECT_EQ(json["root_attributes"]["seed"]["value"], "42");

  // A wrong --features: still listed, not valid, and the reason is the reader's.
  DescribeOptions options;
  options.features_path = "/accounts/name";
  d = describe_file(path, options);
  EXPECT_TRUE(d.is_hdf5);
  EXPECT_FALSE(d.valid_input);
  EXPECT_EQ(d.objects.size(), 5u);
  EXPECT_NE(d.reason.find("rank 1"), std::string::npos) << d.reason;
  EXPECT_NE(format_description(d).find("NOT valid"), std::string::npos);
  // An explicitly named ids dataset must exist.
  options = DescribeOptions{};
  options.ids_path = "/accounts/account_id";
  EXPECT_TRUE(describe_file(path, options).valid_input);
  options.ids_required = true;
  d = describe_file(path, options);
  EXPECT_FALSE(d.valid_input);
  EXPECT_NE(d.reason.find("missing ids dataset /accounts/account_id"), std::string::npos);

  const std::string text_file = dir + "/x.csv";
  write_bytes(text_file, "a,b\n");
  d = describe_file(text_file);
  EXPECT_FALSE(d.is_hdf5);
  EXPECT_FALSE(d.valid_input);
  EXPECT_NE(d.reason.find("not an HDF5 file"), std::string::npos);
}

TEST(Describe, CapsTheListingOfHugeFiles) {
  const std::string path = scratch_dir() + "/many.h5";
  {
    H5Writer writer(path, false);
    for (int i = 0; i < 30; ++i) writer.write_int64("/g/d" + std::to_string(i), {i});
    writer.commit();
  }
  DescribeOptions options;
  options.max_objects = 10;
  FileDescription d = describe_file(path, options);
  EXPECT_EQ(d.objects.size(), 10u);
  EXPECT_EQ(d.objects_total, 32);  // root, /g, 30 datasets
  EXPECT_NE(format_description(d).find("and 22 more objects"), std::string::npos);
  EXPECT_NE(d.reason.find("missing features dataset"), std::string::npos);
}

TEST(StoredFloat, ParsesNames) {
  EXPECT_EQ(stored_float_from_string("float16"), StoredFloat::float16);
  EXPECT_EQ(stored_float_from_string("float32"), StoredFloat::float32);
  EXPECT_EQ(stored_float_from_string("float64"), StoredFloat::float64);
  EXPECT_THROW(stored_float_from_string("bfloat16"), InputError);
}

}  // namespace
}  // namespace unfriend
