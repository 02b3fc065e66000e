#include "host/pipeline/input_identity.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "host/core/error.h"
#include "host/core/fnv64.h"
#include "host/io/feature_reader.h"

namespace unfriend {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kSampleRows = 64;
constexpr int64_t kSampleBytes = int64_t{64} << 20;

}  // namespace

nlohmann::json InputIdentity::to_json() const {
  return {{"path", path},
          {"size_bytes", size_bytes},
          {"mtime_ns", mtime_ns},
          {"features", features_path},
          {"ids", has_ids ? ids_path : std::string()},
          {"rows", rows},
          {"cols", cols},
          {"dtype", dtype},
          {"sample_hash", sample_hash}};
}

InputIdentity input_identity(const std::string& path, const FeatureReader& reader) {
  const InputInfo& info = reader.info();
  InputIdentity id;
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  id.path = (ec ? fs::path(path) : absolute).lexically_normal().string();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw InputError(fmt::format("{}: cannot stat ({})", path, std::strerror(errno)));
  }
  id.size_bytes = static_cast<int64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  id.features_path = info.features_path;
  id.ids_path = info.ids_path;
  id.has_ids = info.has_ids;
  id.rows = info.rows;
  id.cols = info.cols;
  id.dtype = info.dtype;
  // Rows spread evenly from the first to the last: an input rewritten in place with the same
  // size and a restored modification time still changes some of them.
  Fnv64 hash;
  // At most 64 MiB read: fewer rows when they are wide, none at all past that (such an input
  // is identified by its path, size, time and shape alone).
  const int64_t row_bytes = info.cols * static_cast<int64_t>(sizeof(float));
  const int64_t count =
      std::min({info.rows, kSampleRows, kSampleBytes / std::max<int64_t>(row_bytes, 1)});
  std::vector<float> row(count > 0 ? static_cast<size_t>(info.cols) : 0);
  for (int64_t i = 0; i < count; ++i) {
    // In long double: i * (rows - 1) can overflow int64 for an absurd declared row count.
    const int64_t r = count == 1 ? 0
                                 : static_cast<int64_t>(static_cast<long double>(i) *
                                                        static_cast<long double>(info.rows - 1) /
                                                        static_cast<long double>(count - 1));
    reader.read_rows(r, 1, row.data());
    hash.add(&r, sizeof(r));
    hash.add(row.data(), row.size() * sizeof(float));
  }
  id.sample_hash = hash.hex();
  return id;
}

}  // namespace unfriend
