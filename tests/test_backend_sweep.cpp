// The whole sweep on every backend: a synthetic data set with planted farms and near-duplicates
// swept end to end (read, preprocess, kNN, density model, clusters, output). Each backend must
// find the planted groups, and a GPU's clusters must be those of the CPU (adjusted Rand index
// >= 0.99: the fp16 products may flip a near-tie at a kNN list's cut, nothing more). A backend
// that cannot be created here (no GPU, or built without CUDA) is skipped with the reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/eval/evaluate.h"
#include "host/eval/pair_counts.h"
#include "host/io/h5_reader.h"
#include "host/pipeline/sweep.h"
#include "host/synth/synth.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

class BackendSweep : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    set_quiet(true);
    dir_ = test::scratch_dir();
    input_ = dir_ + "/synth.h5";
    SynthParams params;
    params.rows = 24011;  // not a multiple of any block or tile
    params.dims = 27;     // not a multiple of 8
    params.seed = 5;
    write_synth(input_, generate_synth(params));
    cpu_output_ = sweep("cpu");
  }
  static std::string sweep(const std::string& backend) {
    SweepRequest request;
    request.input_path = input_;
    request.output_path = dir_ + "/out-" + backend + ".h5";
    request.config.run.backend = backend_kind_from_string(backend);
    request.config.output.overwrite = true;
    request.checkpoint = false;
    run_sweep(request);
    return request.output_path;
  }

  void SetUp() override {
    try {
      make_backend(backend_kind_from_string(GetParam()), BackendOptions{});
    } catch (const InputError& e) {
      UNFRIEND_SKIP_GPU_CASE("backend " + GetParam() + " unavailable: " + e.what());
    }
  }

  static std::string dir_;
  static std::string input_;
  static std::string cpu_output_;
};

std::string BackendSweep::dir_;
std::string BackendSweep::input_;
std::string BackendSweep::cpu_output_;

TEST_P(BackendSweep, FindsThePlantedGroupsAndAgreesWithTheCpu) {
  const std::string output = GetParam() == "cpu" ? cpu_output_ : sweep(GetParam());
  const EvalReport truth = evaluate(output, input_);
  ASSERT_TRUE(truth.f1.has_value());
  EXPECT_GE(*truth.f1, 0.99) << GetParam();
  EXPECT_GE(truth.cluster_ari, 0.95) << GetParam();
  ASSERT_TRUE(truth.dense_false_positive_rate.has_value());
  EXPECT_LE(*truth.dense_false_positive_rate, 0.01) << GetParam();

  H5Reader mine(output), cpu(cpu_output_);
  EXPECT_EQ(mine.read_string_attribute("/", "backend"), GetParam());
  const std::vector<int64_t> clusters = mine.read_int64("/labels/cluster");
  const std::vector<int64_t> cpu_clusters = cpu.read_int64("/labels/cluster");
  const std::vector<int64_t> dups = mine.read_int64("/labels/dup_group");
  const std::vector<int64_t> cpu_dups = cpu.read_int64("/labels/dup_group");
  ASSERT_EQ(clusters.size(), cpu_clusters.size());
  EXPECT_GE(adjusted_rand_index(clusters, cpu_clusters), 0.99) << GetParam();
  EXPECT_GE(adjusted_rand_index(dups, cpu_dups), 0.99) << GetParam();
  // Every account the CPU flags is flagged, give or take a handful at the boundaries.
  int64_t disagree = 0;
  for (size_t i = 0; i < clusters.size(); ++i) {
    disagree += (clusters[i] >= 0 || dups[i] >= 0) != (cpu_clusters[i] >= 0 || cpu_dups[i] >= 0);
  }
  EXPECT_LE(disagree, int64_t(clusters.size() / 1000)) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendSweep, ::testing::Values("cpu", "cuda"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace unfriend
