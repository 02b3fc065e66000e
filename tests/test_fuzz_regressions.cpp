// Replays every saved fuzz finding (tests/fuzz/regressions/TARGET/) and the committed seed
// corpus (tests/fuzz/corpus/TARGET/) through the same code the libFuzzer targets run, in the
// ordinary build: a fixed crash stays fixed. Under tests/sanitize.sh the replay also runs with
// AddressSanitizer and UndefinedBehaviorSanitizer. The functions return normally for accepted
// input and for InputError/RuntimeFailure; any other exception fails the test here, and a
// crash fails the whole binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_inputs.h"

namespace unfriend {
namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;
  std::function<void(const uint8_t*, size_t)> run;
};

std::vector<fs::path> files_under(const fs::path& folder) {
  std::vector<fs::path> files;
  if (!fs::is_directory(folder)) return files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class FuzzReplay : public ::testing::TestWithParam<Target> {
 protected:
  // Replays every file of `kind` ("regressions" or "corpus"); returns how many there were.
  size_t replay(const std::string& kind) {
    const fs::path folder = fs::path(UNFRIEND_SOURCE_DIR) / "tests/fuzz" / kind / GetParam().name;
    const std::vector<fs::path> files = files_under(folder);
    for (const fs::path& file : files) {
      SCOPED_TRACE(file.string());
      std::ifstream in(file, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      try {
        GetParam().run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      } catch (const std::exception& e) {
        ADD_FAILURE() << "escaped " << typeid(e).name() << ": " << e.what();
      } catch (...) {
        ADD_FAILURE() << "escaped a non-standard exception";
      }
    }
    return files.size();
  }
};

TEST_P(FuzzReplay, SavedFindingsStayFixed) { replay("regressions"); }

TEST_P(FuzzReplay, SeedCorpusIsHandled) {
  // The seeds are committed with the targets: an empty folder means a broken checkout.
  EXPECT_GT(replay("corpus"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay,
                         ::testing::Values(Target{"fuzz_config", fuzz::config_input},
                                           Target{"fuzz_csv_import", fuzz::csv_import_input},
                                           Target{"fuzz_hdf5_input", fuzz::hdf5_input}),
                         [](const ::testing::TestParamInfo<Target>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace unfriend
