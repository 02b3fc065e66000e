// Well-formed hostile input through the whole sweep (the CLI): extreme but finite accounts and
// rescaled features. The statistics are winsorised and the standardised values clipped, so one
// injected account cannot move anyone else, and scaling by a power of two is exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "host/io/h5_file.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

class Robustness : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir();
    const auto r = test::run_unfriend("-q synth -o " + dir_ + "/base.h5 --rows 6000 --dims 16 --seed 5");
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

TEST_F(Robustness, PowersOfTwoLeaveEveryLabelByteIdentical) {
  for (float factor : {0x1p-100f, 0x1p-30f, 0x1p30f, 0x1p100f}) {
    for (bool one_feature : {false, true}) {
      std::vector<float> f = features_;
      for (size_t i = 0; i < f.size(); ++i) {
        if (!one_feature || i % 16 == 3) f[i] *= factor;
      }
      const Labels got = sweep("scaled", f);
      EXPECT_EQ(got.cluster, base_.cluster) << "factor " << factor << (one_feature ? " (feature 3)" : "");
      EXPECT_EQ(got.dup_group, base_.dup_group) << "factor " << factor;
    }
  }
}

// A sweep that flags more than output.alarm_flagged_share of its accounts says so in one log line,
// the text summary and summary.json, naming the features whose scale is most extreme.
TEST_F(Robustness, AnAlarmingShareOfFlaggedAccountsIsSaidPlainly) {
  const std::string config = dir_ + "/alarm.toml", output = dir_ + "/alarm.out.h5";
  test::write_bytes(config, "[output]\nalarm_flagged_share = 0.05\n");
  const auto r = test::run_unfriend("sweep " + dir_ + "/base.in.h5 -o " + output +
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

}  // namespace
}  // namespace unfriend
