// libFuzzer entry point; the work is in fuzz_inputs.cpp, shared with the regression test.
#include "tests/fuzz/fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  unfriend::fuzz::config_input(data, size);
  return 0;
}
