// The fixture of backend-parameterised tests: every case runs on every backend ("cpu",
// "cuda"); a backend that cannot run here skips its cases, or fails them under
// UNFRIEND_REQUIRE_GPU=1 (bench/gpu-check.sh).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "tests/test_support.h"

namespace unfriend::test {

class BackendCase : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    set_quiet(true);
    try {
      backend_ = make_backend(backend_kind_from_string(GetParam()), BackendOptions{});
    } catch (const InputError& e) {
      UNFRIEND_SKIP_GPU_CASE("backend " + GetParam() + " unavailable: " + e.what());
    }
  }
  std::unique_ptr<Backend> backend_;
};

}  // namespace unfriend::test
