// Feature preparation on every backend against the host reference: the same rows kept, the
// same statistics, bit-identical preprocessed rows and the same error for an invalid row. The
// host reference itself is checked against a naive computation written here (a full sort of each
// column for the winsorising quantiles, the documented fallback, the per-value rule written
// out) and against itself at other read block sizes. A backend that cannot be created here (no GPU,
// or built without CUDA) is skipped with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/pipeline/preprocess.h"
#include "tests/backend_case.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

class MemorySource final : public RowSource {
 public:
  MemorySource(std::vector<float> values, int64_t cols) : values_(std::move(values)), cols_(cols) {}
  int64_t rows() const override { return static_cast<int64_t>(values_.size()) / cols_; }
  int64_t cols() const override { return cols_; }
  std::string name() const override { return "memory.h5"; }
  void read_rows(int64_t begin, int64_t count, float* out) const override {
    std::memcpy(out, values_.data() + begin * cols_, size_t(count * cols_) * sizeof(float));
  }
  const std::vector<float>& values() const { return values_; }

 private:
  std::vector<float> values_;
  int64_t cols_;
};

enum class Bad { none, nan, inf, zero };

struct Case {
  std::string name;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t block_rows = 0;
  Metric metric = Metric::cosine;
  bool standardize = true;
  bool skip_invalid = false;
  int64_t constant_col = -1;  // this feature the same in every row
  bool all_constant = false;  // every feature the same in every row
  std::vector<std::pair<int64_t, Bad>> bad_rows;
};

std::vector<float> case_values(const Case& c) {
  std::vector<float> v = test::random_normal(c.rows, c.cols, 1000 + c.rows * 7 + c.cols);
  for (int64_t r = 0; r < c.rows; ++r) {
    for (int64_t j = 0; j < c.cols; ++j) {
      float& x = v[size_t(r * c.cols + j)];
      x = x * float(1 + j % 5) + float(j % 3);  // unequal means and scales per feature
      if (j == c.constant_col) x = 2.5f;
      if (c.all_constant) x = float(j + 1) * 0.75f;
    }
  }
  for (const auto& [row, bad] : c.bad_rows) {
    float* x = v.data() + row * c.cols;
    if (bad == Bad::nan) x[c.cols / 2] = std::numeric_limits<float>::quiet_NaN();
    if (bad == Bad::inf) x[c.cols - 1] = -std::numeric_limits<float>::infinity();
    if (bad == Bad::zero) std::fill(x, x + c.cols, 0.f);
  }
  return v;
}

PrepareOptions case_options(const Case& c, bool with_ids) {
  PrepareOptions o;
  o.standardize = c.standardize;
  o.metric = c.metric;
  o.skip_invalid = c.skip_invalid;
  o.block_rows = c.block_rows;
  o.knn_k = 4;
  if (with_ids) {
    for (int64_t r = 0; r < c.rows; ++r) o.ids.push_back(100 + 3 * r);
  }
  return o;
}

std::vector<Case> cases() {
  std::vector<Case> all;
  auto add = [&](Case c) { all.push_back(std::move(c)); };
  add({"partial_last_block", 1000, 13, 64});
  add({"block_larger_than_input", 300, 8, 4096});
  add({"one_row", 1, 5, 64});
  add({"one_column", 200, 1, 32});
  add({"constant_feature", 700, 11, 100, Metric::cosine, true, false, 4});
  add({"all_constant", 90, 6, 16, Metric::cosine, true, false, -1, true});
  add({"inner_product_norms", 500, 9, 64, Metric::inner_product});
  add({"l2_unstandardised", 500, 10, 64, Metric::l2, false});
  add({"skip_invalid",
       600,
       7,
       50,
       Metric::cosine,
       true,
       true,
       -1,
       false,
       {{0, Bad::zero}, {49, Bad::nan}, {50, Bad::inf}, {333, Bad::nan}, {599, Bad::zero}}});
  add({"every_row_invalid_skipped",
       3,
       4,
       2,
       Metric::cosine,
       true,
       true,
       -1,
       false,
       {{0, Bad::zero}, {1, Bad::nan}, {2, Bad::inf}}});
  // More rows than the statistics sample: every stride-th row is sampled, and a read block
  // straddles the sample's rows.
  add({"sampled_stats", 2 * kStatsSampleRows + 77, 5, 1000});
  return all;
}

// Naive reference: the valid rows, then the documented winsorised statistics of the sampled
// rows from a full sort.
struct Naive {
  std::vector<float> rows;
  std::vector<int64_t> input_row, invalid_rows;
  std::vector<double> location, scale;
};

Naive naive_prepare(const Case& c, const std::vector<float>& v) {
  Naive n;
  for (int64_t r = 0; r < c.rows; ++r) {
    const float* x = v.data() + r * c.cols;
    bool finite = true, nonzero = false;
    for (int64_t j = 0; j < c.cols; ++j) {
      finite = finite && std::isfinite(x[j]);
      nonzero = nonzero || x[j] != 0.f;
    }
    if (!finite || !nonzero) {
      n.invalid_rows.push_back(r);
      continue;
    }
    n.input_row.push_back(r);
    n.rows.insert(n.rows.end(), x, x + c.cols);
  }
  const int64_t kept = static_cast<int64_t>(n.input_row.size());
  if (!c.standardize || kept == 0) return n;
  const int64_t stride = std::max<int64_t>(1, (kept + kStatsSampleRows - 1) / kStatsSampleRows);
  n.location.assign(size_t(c.cols), 0.0);
  n.scale.assign(size_t(c.cols), 0.0);
  for (int64_t j = 0; j < c.cols; ++j) {
    std::vector<double> col;
    for (int64_t r = 0; r < kept; r += stride) col.push_back(n.rows[size_t(r * c.cols + j)]);
    std::vector<double> sorted = col;
    std::sort(sorted.begin(), sorted.end());
    const size_t clipped = size_t(std::floor(0.005 * double(sorted.size() - 1)));
    const double lo = sorted[clipped], hi = sorted[sorted.size() - 1 - clipped];
    double sum = 0;
    for (double x : col) sum += std::min(hi, std::max(lo, x));
    const double mean = sum / double(col.size());
    double squares = 0;
    for (double x : col) {
      const double d = std::min(hi, std::max(lo, x)) - mean;
      squares += d * d;
    }
    double scale = std::sqrt(squares / double(col.size()));
    if (!(scale > 0)) {
      double spread = 0;
      for (double x : col) spread += std::abs(x - mean);
      scale = 1.2533 * spread / double(col.size());
    }
    n.location[size_t(j)] = mean;
    n.scale[size_t(j)] = scale > 1e-12 * std::abs(mean) ? scale : 0.0;
  }
  return n;
}

std::vector<float> rows_of(const PreparedFeatures& f) {
  if (f.device) {
    std::vector<float> rows(size_t(f.rows * f.cols));
    f.device->download(rows.data());
    return rows;
  }
  return f.matrix.values;
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& want,
                      const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &got[i], 4);
    std::memcpy(&b, &want[i], 4);
    ASSERT_EQ(a, b) << what << ": value " << i << " is " << got[i] << ", expected " << want[i];
  }
}

void expect_same_preparation(const PreparedFeatures& got, const PreparedFeatures& want) {
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.cols, want.cols);
  EXPECT_EQ(got.input_row, want.input_row);
  EXPECT_EQ(got.invalid_rows, want.invalid_rows);
  EXPECT_EQ(got.stats.location, want.stats.location);
  EXPECT_EQ(got.stats.scale, want.stats.scale);
  EXPECT_EQ(got.stats.constant_features, want.stats.constant_features);
  EXPECT_EQ(got.compared_unstandardised, want.compared_unstandardised);
  expect_same_bits(got.squared_norms, want.squared_norms, "squared norms");
  expect_same_bits(rows_of(got), rows_of(want), "rows");
  EXPECT_EQ(got.bytes_read, want.bytes_read);
}

class PrepareFeaturesTest : public test::BackendCase {
 protected:
  // The backend's preparation, or the host path where the backend leaves it to the host.
  PreparedFeatures prepare(const RowSource& source, const PrepareOptions& options) {
    PreparedFeatures out;
    if (!backend_->prepare_features(source, options, &out)) {
      out = prepare_features_on_host(source, options);
    }
    return out;
  }
};

TEST_P(PrepareFeaturesTest, MatchesTheHostReference) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const MemorySource source(case_values(c), c.cols);
    const PrepareOptions options = case_options(c, true);
    const PreparedFeatures want = prepare_features_on_host(source, options);
    const PreparedFeatures got = prepare(source, options);
    expect_same_preparation(got, want);
    // The stages say what they moved.
    ASSERT_FALSE(got.stages.empty());
    EXPECT_EQ(got.stages.front().stage, "read");
    EXPECT_EQ(got.stages.front().bytes, double(c.rows) * c.cols * 4);
    EXPECT_EQ(got.bytes_read, double(c.rows) * c.cols * 4);
  }
}

TEST_P(PrepareFeaturesTest, InvalidRowIsTheSameError) {
  struct Invalid {
    Bad bad;
    int64_t row;
    bool ids;
    std::string message;
  };
  const std::vector<Invalid> invalid = {
      {Bad::nan, 77, true,
       "memory.h5: row 77 (id 331) has nan in feature 4 (use --on-invalid skip to leave such "
       "rows out)"},
      {Bad::inf, 130, false,
       "memory.h5: row 130 (id 130) has -inf in feature 8 (use --on-invalid skip to leave such "
       "rows out)"},
      {Bad::zero, 0, true,
       "memory.h5: row 0 (id 100) has all features zero (use --on-invalid skip to leave such "
       "rows out)"}};
  for (const Invalid& bad : invalid) {
    Case c{"invalid", 200, 9, 64};
    // A second invalid row later on: the first one is named.
    c.bad_rows = {{bad.row, bad.bad}, {190, Bad::zero}};
    SCOPED_TRACE(bad.message);
    const MemorySource source(case_values(c), c.cols);
    try {
      prepare(source, case_options(c, bad.ids));
      ADD_FAILURE() << "no error for an invalid row";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), bad.message);
    }
  }
}

// Rows that cannot be read from `failing_row` on: the file's own error for that block.
class FailingSource final : public RowSource {
 public:
  FailingSource(std::vector<float> values, int64_t cols, int64_t failing_row)
      : memory_(std::move(values), cols), failing_row_(failing_row) {}
  int64_t rows() const override { return memory_.rows(); }
  int64_t cols() const override { return memory_.cols(); }
  std::string name() const override { return memory_.name(); }
  void read_rows(int64_t begin, int64_t count, float* out) const override {
    if (begin + count > failing_row_) {
      throw InputError("memory.h5: cannot read rows " + std::to_string(begin) + ".." +
                       std::to_string(begin + count - 1));
    }
    memory_.read_rows(begin, count, out);
  }

 private:
  MemorySource memory_;
  int64_t failing_row_;
};

TEST_P(PrepareFeaturesTest, AnInvalidRowBeforeAnUnreadableBlockIsReportedFirst) {
  Case c{"invalid then unreadable", 400, 9, 64};
  c.bad_rows = {{70, Bad::zero}};
  const FailingSource source(case_values(c), c.cols, 300);
  try {
    prepare(source, case_options(c, false));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "memory.h5: row 70 (id 70) has all features zero (use --on-invalid skip to leave "
              "such rows out)");
  }
  // Without the invalid row (or with it skipped), the read error itself.
  c.skip_invalid = true;
  try {
    prepare(source, case_options(c, false));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "memory.h5: cannot read rows 256..319");
  }
}

TEST(PrepareFeaturesOnHost, MatchesANaiveComputation) {
  set_quiet(true);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const std::vector<float> values = case_values(c);
    const MemorySource source(values, c.cols);
    const PreparedFeatures got = prepare_features_on_host(source, case_options(c, false));
    const Naive n = naive_prepare(c, values);
    EXPECT_EQ(got.input_row, n.input_row);
    EXPECT_EQ(got.invalid_rows, n.invalid_rows);
    ASSERT_EQ(got.rows, int64_t(n.input_row.size()));
    int64_t constant_features = 0;
    if (!c.standardize || got.rows == 0) {
      EXPECT_TRUE(got.stats.location.empty() || got.rows == 0);
    } else {
      EXPECT_EQ(got.stats.location, n.location);
      for (int64_t j = 0; j < c.cols; ++j) {
        // A single row, a constant column: no spread at all.
        const bool constant = got.rows == 1 || j == c.constant_col || c.all_constant;
        EXPECT_EQ(got.stats.scale[j], constant ? 0.0 : n.scale[j]) << "feature " << j;
        constant_features += constant;
      }
      EXPECT_EQ(got.stats.constant_features, constant_features);
    }
    const bool all_constant = c.standardize && got.rows > 0 && constant_features == c.cols;
    EXPECT_EQ(got.compared_unstandardised, all_constant);
    // The rows, by the documented arithmetic.
    std::vector<float> want = n.rows;
    const bool standardised = c.standardize && !all_constant && got.rows > 0;
    for (int64_t r = 0; r < got.rows; ++r) {
      float* x = want.data() + r * c.cols;
      if (standardised) {
        for (int64_t j = 0; j < c.cols; ++j) {
          const double scale = n.scale[j];
          if (!(scale > 0)) {
            x[j] = 0.f;
            continue;
          }
          const double z = (double(x[j]) - n.location[j]) / scale;
          x[j] = float(std::max(-10.0, std::min(10.0, z)));
        }
      }
      double norm2 = 0;
      for (int64_t j = 0; j < c.cols; ++j) norm2 += double(x[j]) * x[j];
      if (c.metric == Metric::cosine && norm2 > 0) {
        const float inv = float(1.0 / std::sqrt(norm2));
        for (int64_t j = 0; j < c.cols; ++j) x[j] *= inv;
      }
      if (c.metric == Metric::inner_product) {
        ASSERT_EQ(got.squared_norms.size(), size_t(got.rows));
        EXPECT_EQ(got.squared_norms[r], float(norm2)) << "row " << r;
      }
    }
    if (c.metric != Metric::inner_product) EXPECT_TRUE(got.squared_norms.empty());
    expect_same_bits(got.matrix.values, want, "rows");
    EXPECT_TRUE(got.on_host());
    EXPECT_FALSE(got.device);
  }
}

TEST(PrepareFeaturesOnHost, BlockSizeChangesNothing) {
  set_quiet(true);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const MemorySource source(case_values(c), c.cols);
    PrepareOptions options = case_options(c, true);
    const PreparedFeatures want = prepare_features_on_host(source, options);
    for (int64_t block_rows : {int64_t{1}, int64_t{3}, int64_t{0}, c.rows + 5}) {
      if (block_rows == 1 && c.rows > 1000) continue;  // slow and adds nothing
      options.block_rows = block_rows;
      expect_same_preparation(prepare_features_on_host(source, options), want);
    }
  }
}

TEST(PrepareFeaturesOnHost, ReportsItsStages) {
  set_quiet(true);
  Case c{"stages", 3000, 16, 256};
  const MemorySource source(case_values(c), c.cols);
  const PreparedFeatures got = prepare_features_on_host(source, case_options(c, false));
  ASSERT_EQ(got.stages.size(), 3u);
  EXPECT_EQ(got.stages[0].stage, "read");
  EXPECT_EQ(got.stages[1].stage, "check");
  EXPECT_EQ(got.stages[2].stage, "preprocess");
  for (const StageRate& s : got.stages) {
    EXPECT_EQ(s.bytes, 3000.0 * 16 * 4) << s.stage;
    EXPECT_GT(s.seconds, 0) << s.stage;
    EXPECT_GT(s.bytes_per_second(), 0) << s.stage;
  }
  EXPECT_GE(got.seconds, got.stages[2].seconds);
}

INSTANTIATE_TEST_SUITE_P(Backends, PrepareFeaturesTest, ::testing::Values("cpu", "cuda"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace unfriend
