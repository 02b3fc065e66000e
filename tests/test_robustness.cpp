// Well-formed hostile input through the whole sweep (the CLI): extreme but finite accounts and
// rescaled features. The statistics are winsorised and the standardised values clipped, so one
// injected account cannot move anyone else, and scaling by a power of two is exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

class Robustness : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir();
    const auto r =
        test::run_unfriend("-q synth -o " + dir_ + "/base.h5 --rows 6000 --dims 16 --seed 5");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    H5Reader in(dir_ + "/base.h5");
    features_ = in.read_float32("/accounts/features");
    ids_ = in.read_int64("/accounts/id");
    base_ = sweep("base", features_);
  }

  struct Labels {
    std::vector<int64_t> cluster, dup_group;
  };

  Labels sweep(const std::string& name, const std::vector<float>& features) {
    const std::string input = dir_ + "/" + name + ".in.h5", output = dir_ + "/" + name + ".out.h5";
    {
      H5Writer writer(input, true);
      writer.write_matrix("/accounts/features", features.data(), int64_t(ids_.size()), 16);
      writer.write_int64("/accounts/id", ids_);
      writer.commit();
    }
    const auto r = test::run_unfriend("-q sweep " + input + " -o " + output +
                                      " --backend cpu --no-checkpoint --overwrite");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    H5Reader out(output);
    return Labels{out.read_int64("/labels/cluster"), out.read_int64("/labels/dup_group")};
  }

  std::string dir_;
  std::vector<float> features_;
  std::vector<int64_t> ids_;
  Labels base_;
};

TEST_F(Robustness, OneExtremeAccountLeavesEveryOtherLabelUnchanged) {
  ASSERT_GT(*std::max_element(base_.cluster.begin(), base_.cluster.end()), 0) << "a weak test";
  for (float extreme : {1e30f, 3.4e38f, -3.4e38f}) {
    std::vector<float> f = features_;
    const int64_t row = 4321;
    for (int j = 0; j < 16; ++j) f[size_t(row * 16 + j)] = extreme;
    const Labels got = sweep("extreme", f);
    for (size_t i = 0; i < ids_.size(); ++i) {
      if (int64_t(i) == row) continue;
      ASSERT_EQ(got.cluster[i], base_.cluster[i]) << "row " << i << " with " << extreme;
      ASSERT_EQ(got.dup_group[i], base_.dup_group[i]) << "row " << i << " with " << extreme;
    }
  }
}

// Whether `got` groups the rows not in `skip` exactly as `base` does (labels may be named
// differently): a bijection between their label values, -1 and -2 mapping to themselves.
testing::AssertionResult same_grouping(const std::vector<int64_t>& base,
                                       const std::vector<int64_t>& got,
                                       const std::vector<uint8_t>& skip) {
  std::map<int64_t, int64_t> forward, backward;
  for (size_t i = 0; i < base.size(); ++i) {
    if (skip[i]) continue;
    if ((base[i] < 0 || got[i] < 0) && base[i] != got[i]) {
      return testing::AssertionFailure() << "row " << i << " is " << base[i] << " then " << got[i];
    }
    const auto f = forward.emplace(base[i], got[i]).first;
    const auto b = backward.emplace(got[i], base[i]).first;
    if (f->second != got[i] || b->second != base[i]) {
      return testing::AssertionFailure()
             << "row " << i << " changed group (" << base[i] << " -> " << got[i] << ")";
    }
  }
  return testing::AssertionSuccess();
}

// Ten rows, and 0.1% of the rows, at the float32 maximum: every other account stays in the same
// groups and keeps its flag. (Group ids may be renumbered: the injected rows are, correctly, a
// near-duplicate group of their own, and ids rank groups by size.)
TEST_F(Robustness, InjectedExtremeRowsLeaveEveryOtherGroupingUnchanged) {
  const size_t rows = ids_.size();
  for (size_t injected : {size_t{10}, rows / 1000}) {
    std::vector<float> f = features_;
    std::vector<uint8_t> skip(rows, 0);
    for (size_t r = 0; r < injected; ++r) {
      const size_t row = (r * 7919 + 13) % rows;  // spread over the file
      skip[row] = 1;
      for (int j = 0; j < 16; ++j) f[row * 16 + size_t(j)] = r % 2 ? 3.4e38f : -3.4e38f;
    }
    const Labels got = sweep("injected", f);
    EXPECT_TRUE(same_grouping(base_.cluster, got.cluster, skip)) << injected << " rows injected";
    EXPECT_TRUE(same_grouping(base_.dup_group, got.dup_group, skip)) << injected << " rows";
  }
}

// Scaling by constants that are not powers of two (rounding in every value) keeps the groupings.
TEST_F(Robustness, ScalingByTenToTheThirtyKeepsEveryGrouping) {
  const std::vector<uint8_t> none(ids_.size(), 0);
  for (float factor : {1e-30f, 1e30f}) {
    for (bool one_feature : {false, true}) {
      std::vector<float> f = features_;
      for (size_t i = 0; i < f.size(); ++i) {
        if (!one_feature || i % 16 == 3) f[i] *= factor;
      }
      const Labels got = sweep("scaled", f);
      EXPECT_TRUE(same_grouping(base_.cluster, got.cluster, none)) << "factor " << factor;
      EXPECT_TRUE(same_grouping(base_.dup_group, got.dup_group, none)) << "factor " << factor;
    }
  }
}

TEST_F(Robustness, PowersOfTwoLeaveEveryLabelByteIdentical) {
  for (float factor : {0x1p-100f, 0x1p-30f, 0x1p30f, 0x1p100f}) {
    for (bool one_feature : {false, true}) {
      std::vector<float> f = features_;
      for (size_t i = 0; i < f.size(); ++i) {
        if (!one_feature || i % 16 == 3) f[i] *= factor;
      }
      const Labels got = sweep("scaled", f);
      EXPECT_EQ(got.cluster, base_.cluster)
          << "factor " << factor << (one_feature ? " (feature 3)" : "");
      EXPECT_EQ(got.dup_group, base_.dup_group) << "factor " << factor;
    }
  }
}

// A sweep that flags more than output.alarm_flagged_share of its accounts says so in one log line,
// the text summary and summary.json, naming the features whose scale is most extreme.
TEST_F(Robustness, AnAlarmingShareOfFlaggedAccountsIsSaidPlainly) {
  const std::string config = dir_ + "/alarm.toml", output = dir_ + "/alarm.out.h5";
  test::write_bytes(config, "[output]\nalarm_flagged_share = 0.05\n");
  const auto r =
      test::run_unfriend("sweep " + dir_ + "/base.in.h5 -o " + output +
                         " --backend cpu --no-checkpoint --overwrite --config " + config);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ALARM: this sweep flags 8.0% of the assessed accounts, over "
                       "output.alarm_flagged_share 5.0%"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("the features whose scale is most extreme: feature "), std::string::npos);
  EXPECT_NE(r.out.find("ALARM: an unusually large share"), std::string::npos) << r.out;
  const std::string summary = test::read_bytes(dir_ + "/alarm.out.summary.json");
  EXPECT_NE(summary.find("\"tripped\": true"), std::string::npos) << summary;
  // The default share (20%) is not reached by this 8%: no alarm.
  const std::string quiet = test::read_bytes(dir_ + "/base.out.summary.json");
  EXPECT_NE(quiet.find("\"tripped\": false"), std::string::npos) << quiet;
}

// Degenerate inputs each get one line naming the file: one informative feature is refused for
// cosine (exit 2) and swept with l2; constant features are counted and left out; very few
// distinct rows are reported.
TEST_F(Robustness, DegenerateInputsGetTheirOneLineAnswer) {
  const int64_t rows = 600;
  auto write = [&](const std::string& name, int64_t cols, auto value) {
    std::vector<float> f(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < cols; ++j) f[size_t(r * cols + j)] = value(r, j);
    }
    H5Writer writer(dir_ + "/" + name + ".h5", true);
    writer.write_matrix("/accounts/features", f.data(), rows, cols);
    writer.commit();
    return dir_ + "/" + name + ".h5";
  };
  auto sweep_of = [&](const std::string& input, const std::string& extra) {
    return test::run_unfriend("sweep " + input + " -o " + dir_ + "/d.out.h5 --backend cpu " +
                              "--no-checkpoint --overwrite " + extra);
  };
  const std::string one = write("one", 1, [](int64_t r, int64_t) { return float(r % 37) + 1.f; });
  auto r = sweep_of(one, "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unfriend: error: " + one +
                       ": only 1 informative feature (of 1): cosine "
                       "similarity of one feature is only its sign; sweep it with --metric l2, "
                       "or give more features\n"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(test::file_exists(dir_ + "/d.out.h5"));
  r = sweep_of(one, "--metric l2");
  EXPECT_EQ(r.exit_code, 0) << r.err;

  const std::string constant = write("constant", 6, [](int64_t r, int64_t j) {
    return j == 2 ? 7.f : j == 4 ? 0.f : float((r * 7919 + j * 104729) % 1000) / 100.f + 0.5f;
  });
  r = sweep_of(constant, "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(constant + ": 2 of 6 features are constant and were left out"),
            std::string::npos)
      << r.err;

  const std::string copies =
      write("copies", 6, [](int64_t r, int64_t j) { return float((r % 3) * 10 + j) + 1.f; });
  r = sweep_of(copies, "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(copies + ": only 3 distinct rows among 600 assessed accounts"),
            std::string::npos)
      << r.err;
  EXPECT_NE(test::read_bytes(dir_ + "/d.out.summary.json").find("\"distinct_rows\": 3"),
            std::string::npos);
}

// The input replaced or rewritten while a sweep runs: refused with one line naming the file, and
// no output. The change happens a second into a sweep that takes several.
TEST_F(Robustness, AnInputChangedDuringTheSweepIsRefused) {
  const std::string input = dir_ + "/big.h5";
  auto r = test::run_unfriend("-q synth -o " + input + " --rows 40000 --dims 16 --seed 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& change :
       {std::string("touch -m ") + input,
        "cp " + input + " " + input + ".copy && mv " + input + ".copy " + input}) {
    const std::string output = dir_ + "/changed.out.h5";
    const std::string script =
        "( " + std::string(UNFRIEND_BINARY) + " -q sweep " + input + " -o " + output +
        " --backend cpu --knn-mode exact --no-checkpoint --overwrite "
        "2>" +
        dir_ + "/err.txt & pid=$!; sleep 1; " + change + "; wait $pid; echo rc=$? )";
    r = test::run_command(script);
    const std::string err = test::read_bytes(dir_ + "/err.txt");
    EXPECT_NE(r.out.find("rc=2"), std::string::npos) << change << ": " << r.out << err;
    EXPECT_NE(err.find(input + ": changed while the sweep ran ("), std::string::npos) << err;
    EXPECT_NE(err.find("); nothing was written"), std::string::npos) << err;
    EXPECT_FALSE(test::file_exists(output)) << change;
  }
}

// --max-memory bounds the peak resident memory of the whole process (libraries included), at a
// generous limit, at one just above the plan, and at one below it (where the sweep shrinks its
// blocks or refuses up front): measured from outside by peak_resident, so the test process's
// own size does not count.
TEST(MemoryPromise, PeakResidentStaysWithinMaxMemoryAtThreeLimits) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory is resident too";
#else
  const std::string dir = test::scratch_dir();
  auto r = test::run_unfriend("-q synth -o " + dir + "/in.h5 --rows 120000 --dims 32 --seed 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string sweep = std::string(UNFRIEND_BINARY) + " sweep " + dir + "/in.h5 -o " + dir +
                            "/out.h5 --backend cpu --no-checkpoint --overwrite --max-memory ";
  r = test::run_command(sweep + "4G");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t at = r.err.find("memory plan: about ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const double plan_mib = std::stod(r.err.substr(at + 19));
  ASSERT_GT(plan_mib, 60.0) << "too small to tell the plan from the libraries";
  for (const double limit_mib : {4096.0, plan_mib * 1.02 + 1, plan_mib * 0.85}) {
    const auto limit = static_cast<int64_t>(limit_mib * 1024 * 1024);
    const test::CommandResult run = test::run_command(std::string(UNFRIEND_PEAK_RESIDENT) + " " +
                                                      sweep + std::to_string(limit));
    long peak_kib = 0;
    int exit_code = -1;
    ASSERT_EQ(std::sscanf(run.out.c_str(), "%ld %d", &peak_kib, &exit_code), 2) << run.out;
    EXPECT_TRUE(exit_code == 0 || exit_code == 2) << "limit " << limit_mib << " MiB: " << run.err;
    EXPECT_LE(peak_kib * 1024, limit)
        << "peaked at " << peak_kib / 1024 << " MiB under --max-memory " << limit_mib
        << " MiB (plan " << plan_mib << " MiB)";
    RecordProperty("peak_kib_at_" + std::to_string(static_cast<int>(limit_mib)) + "_mib",
                   static_cast<int>(peak_kib));
  }
#endif
}

}  // namespace
}  // namespace unfriend
