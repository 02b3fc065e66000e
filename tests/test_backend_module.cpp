// The CUDA backend as a module loaded at run time: the unfriend binary links no CUDA library,
// starts small, sweeps on the CPU wherever the module or its libraries are out of reach (and says
// why), refuses a module from another build, and loads the module built with it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "host/backend/cuda_module_loader.h"
#include "host/core/error.h"
#include "host/io/h5_writer.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class BackendModule : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir();
    input_ = dir_ + "/in.h5";
    auto values = test::random_normal(600, 8, 5);
    H5Writer writer(input_, true);
    writer.write_matrix("/accounts/features", values.data(), 600, 8);
    writer.commit();
  }

  // A copy of the unfriend binary alone in DIR/bin, where no module lies beside it.
  std::string copied_binary() {
    fs::create_directories(dir_ + "/bin");
    const std::string copy = dir_ + "/bin/unfriend";
    fs::copy_file(UNFRIEND_BINARY, copy, fs::copy_options::overwrite_existing);
    return copy;
  }

  // `binary sweep` of the test input with --backend `backend`, the module looked for as the
  // binary would look for it unless `environment` says otherwise.
  test::CommandResult sweep(const std::string& binary, const std::string& backend,
                            const std::string& environment = "-u UNFRIEND_CUDA_MODULE") {
    return test::run_command("env " + environment + " " + quote(binary) + " sweep " +
                             quote(input_) + " -o " + quote(output()) + " --overwrite --backend " +
                             backend);
  }

  std::string output() const { return dir_ + "/out.h5"; }

  // auto sweeps on the CPU and logs why not CUDA; cuda fails with exit 2 and one line. Both name
  // `reason`.
  void expect_cpu_sweep_naming(const std::string& binary, const std::string& reason,
                               const std::string& environment = "-u UNFRIEND_CUDA_MODULE") {
    test::CommandResult automatic = sweep(binary, "auto", environment);
    EXPECT_EQ(automatic.exit_code, 0) << automatic.err;
    EXPECT_TRUE(fs::exists(output()));
    EXPECT_NE(automatic.err.find("backend: cpu (CUDA module not loaded: "), std::string::npos)
        << automatic.err;
    EXPECT_NE(automatic.err.find(reason), std::string::npos) << automatic.err;

    fs::remove(output());
    test::CommandResult cuda = sweep(binary, "cuda", environment);
    EXPECT_EQ(cuda.exit_code, 2) << cuda.err;
    EXPECT_FALSE(fs::exists(output()));
    const std::vector<std::string> lines = lines_of(cuda.err);
    ASSERT_EQ(lines.size(), 1u) << cuda.err;
    EXPECT_NE(lines[0].find("--backend cuda: CUDA module not loaded: "), std::string::npos)
        << lines[0];
    EXPECT_NE(lines[0].find(reason), std::string::npos) << lines[0];
  }

  std::string dir_;
  std::string input_;
};

TEST_F(BackendModule, BinaryWithoutModuleBesideItSweepsOnCpu) {
  const std::string binary = copied_binary();
  expect_cpu_sweep_naming(binary, std::string("no ") + cuda_module_file_name() +
                                      " beside the executable (looked in " + dir_ + "/bin/lib");
}

TEST_F(BackendModule, ModuleWhoseLibrariesAreMissingSweepsOnCpu) {
  // As on a machine without the CUDA libraries: the module is beside the binary, but a library
  // it needs is nowhere to be found.
  const std::string binary = copied_binary();
  fs::create_directories(dir_ + "/bin/lib");
  fs::copy_file(UNFRIEND_FIXTURE_MODULE_MISSING_LIBRARY,
                dir_ + "/bin/lib/" + cuda_module_file_name());
  expect_cpu_sweep_naming(
      binary, std::string(UNFRIEND_FIXTURE_ABSENT_LIBRARY) + ": cannot open shared object file");
}

TEST_F(BackendModule, OverrideNamesTheOnlyPlaceLookedAt) {
  const std::string absent = dir_ + "/nowhere/" + cuda_module_file_name();
  expect_cpu_sweep_naming(UNFRIEND_BINARY, "UNFRIEND_CUDA_MODULE: " + absent,
                          "UNFRIEND_CUDA_MODULE=" + quote(absent));
}

TEST_F(BackendModule, ModuleFromAnotherBuildIsRefused) {
  expect_cpu_sweep_naming(
      UNFRIEND_BINARY,
      std::string(UNFRIEND_FIXTURE_MODULE_OTHER_BUILD) +
          " is from another build of unfriend (build 0.0.0-other-build",
      std::string("UNFRIEND_CUDA_MODULE=") + quote(UNFRIEND_FIXTURE_MODULE_OTHER_BUILD));
  expect_cpu_sweep_naming(
      UNFRIEND_BINARY,
      std::string(UNFRIEND_FIXTURE_MODULE_OTHER_ABI) + " has module ABI " +
          std::to_string(kCudaModuleAbi + 1) + ", this unfriend needs " +
          std::to_string(kCudaModuleAbi),
      std::string("UNFRIEND_CUDA_MODULE=") + quote(UNFRIEND_FIXTURE_MODULE_OTHER_ABI));
}

TEST_F(BackendModule, BuiltModuleLoads) {
#ifndef UNFRIEND_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA: there is no module to load";
#else
  // Into the binary it was built with: every host symbol it needs is exported there. Without a
  // usable GPU the binary says so, which only a loaded module can tell.
  test::CommandResult automatic = sweep(UNFRIEND_BINARY, "auto");
  EXPECT_EQ(automatic.exit_code, 0) << automatic.err;
  EXPECT_EQ(automatic.err.find("CUDA module not loaded"), std::string::npos) << automatic.err;
  EXPECT_TRUE(automatic.err.find("backend: cpu (no usable GPU: ") != std::string::npos ||
              automatic.err.find("backend: cuda (GPU ") != std::string::npos)
      << automatic.err;
  // And into this test executable (the module is in ../lib from tests/), as into every test that
  // asks make_backend for CUDA.
  ::unsetenv("UNFRIEND_CUDA_MODULE");
  const CudaModule& module = cuda_module();
  EXPECT_NE(module.api, nullptr) << module.failure;
  EXPECT_EQ(fs::path(module.path), fs::path(UNFRIEND_CUDA_MODULE_PATH));
  ASSERT_NE(module.api, nullptr);
  // Without a GPU its factory throws InputError, which is caught here by its type: one
  // type_info on both sides of the boundary.
  std::string reason;
  if (!module.api->device_usable(0, &reason)) {
    EXPECT_THROW(module.api->make_backend(BackendOptions{}), InputError) << reason;
  }
#endif
}

// Not named for CUDA: bench/gpu-check.sh runs the CUDA-named cases of the bundled test binaries,
// where the build tree's binary is absent.
TEST_F(BackendModule, BinaryLinksOnlyHostLibraries) {
  test::CommandResult ldd = test::run_command(std::string("ldd ") + quote(UNFRIEND_BINARY));
  ASSERT_EQ(ldd.exit_code, 0) << ldd.err;
  // What it does link, so that the check below cannot pass on an empty listing.
  EXPECT_NE(ldd.out.find("libc.so.6"), std::string::npos) << ldd.out;
  EXPECT_NE(ldd.out.find("libhdf5"), std::string::npos) << ldd.out;
  for (const char* cuda : {"libcublas", "libcudart", "libcuda.so", "libnvidia"}) {
    EXPECT_EQ(ldd.out.find(cuda), std::string::npos) << cuda << " in\n" << ldd.out;
  }
#ifdef UNFRIEND_HAVE_CUDA
  // The same look finds cuBLAS in the module.
  test::CommandResult module =
      test::run_command(std::string("ldd ") + quote(UNFRIEND_CUDA_MODULE_PATH));
  EXPECT_NE(module.out.find("libcublas"), std::string::npos) << module.out;
#endif
}

TEST_F(BackendModule, VersionPeakResidentUnder30MB) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory is resident too";
#else
  const test::CommandResult run = test::run_command(std::string(UNFRIEND_PEAK_RESIDENT) + " " +
                                                    quote(UNFRIEND_BINARY) + " --version");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  long peak_kib = 0;
  int exit_code = -1;
  ASSERT_EQ(std::sscanf(run.out.c_str(), "%ld %d", &peak_kib, &exit_code), 2) << run.out;
  EXPECT_EQ(exit_code, 0);
  EXPECT_GT(peak_kib, 0);
  EXPECT_LT(peak_kib, 30 * 1024) << "unfriend --version peaked at " << peak_kib << " KiB";
  RecordProperty("version_peak_kib", static_cast<int>(peak_kib));
#endif
}

}  // namespace
}  // namespace unfriend
