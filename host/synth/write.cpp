// Writing a generated data set: features and ids where the sweep reads them, ground truth under
// /truth where only `unfriend evaluate` looks.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "host/core/error.h"
#include "host/io/h5_writer.h"
#include "host/synth/synth.h"

namespace unfriend {

namespace {
// Rows per chunk when compression needs chunking and none was asked for: large enough for
// gzip to work well, small enough that a reader's block holds whole chunks.
constexpr int64_t kDefaultChunkRows = 4096;
}  // namespace

void validate(const SynthWriteOptions& options) {
  if (options.gzip_level < 0 || options.gzip_level > 9) {
    throw InputError(fmt::format("--gzip: must be 0-9, got {}", options.gzip_level));
  }
  if (options.chunk_rows < 0) {
    throw InputError(fmt::format("--chunk-rows: must be 0 or more, got {}", options.chunk_rows));
  }
}

void write_synth(H5Writer& writer, const SynthData& data, const SynthWriteOptions& options) {
  validate(options);
  const size_t rows = static_cast<size_t>(data.rows);
  if (data.rows < 1 || data.dims < 1 ||
      data.features.size() != rows * static_cast<size_t>(data.dims) || data.ids.size() != rows ||
      data.farm.size() != rows || data.dup_group.size() != rows || data.kind.size() != rows ||
      data.community.size() != rows) {
    throw std::invalid_argument(fmt::format(
        "write_synth: inconsistent data set ({} rows x {} dims)", data.rows, data.dims));
  }
  int64_t chunk_rows = options.chunk_rows;
  if (chunk_rows == 0 && options.gzip_level > 0) chunk_rows = kDefaultChunkRows;
  if (chunk_rows > 0) chunk_rows = std::min(chunk_rows, data.rows);

  writer.write_matrix("/accounts/features", data.features.data(), data.rows, data.dims,
                      options.dtype, chunk_rows, options.gzip_level);
  writer.write_int64("/accounts/id", data.ids);
  writer.write_int64("/truth/farm", data.farm);
  writer.write_int64("/truth/dup_group", data.dup_group);
  writer.write_int32("/truth/kind", data.kind);
  writer.set_attribute("/truth/kind", "codes", account_kind_codes());
  writer.write_int64("/truth/community", data.community);
  writer.set_attribute("/", "generator", std::string("unfriend synth"));
  writer.set_attribute("/", "params", to_json(data.params));
  writer.set_attribute("/", "seed", static_cast<int64_t>(data.params.seed));
  writer.set_attribute("/", "version", std::string(UNFRIEND_VERSION));
}

void write_synth(const std::string& path, const SynthData& data, const SynthWriteOptions& options) {
  validate(options);
  H5Writer writer(path, options.overwrite);
  write_synth(writer, data, options);
  writer.commit();
}

}  // namespace unfriend
