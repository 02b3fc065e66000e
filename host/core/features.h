// Features on their way into the search: where rows come from (RowSource), and what
// preprocessing hands to the kNN stage (PreparedFeatures), whichever backend did it. The CPU
// path (host/pipeline/preprocess) is the reference; a GPU backend may stream, preprocess and
// keep the rows on the device instead, with the same results.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

/// Rows of an input, read in blocks. The sweep passes its HDF5 reader; tests pass memory.
/// read_rows may be called from a thread other than the one that made the source, but never
/// from two threads at once.
class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual int64_t rows() const = 0;
  virtual int64_t cols() const = 0;
  /// The file (or other name) that error messages name.
  virtual std::string name() const = 0;
  /// Rows [begin, begin + count) as float32 into out[count * cols()]; InputError naming the
  /// file and the rows when they cannot be read.
  virtual void read_rows(int64_t begin, int64_t count, float* out) const = 0;
};

/// Per-feature statistics of the assessed rows.
struct FeatureStats {
  std::vector<double> mean;
  std::vector<double> deviation;  // population standard deviation; 0 for constant features
  int64_t constant_features = 0;
};

struct PrepareOptions {
  bool standardize = true;
  Metric metric = Metric::cosine;
  /// Rows with NaN, Inf or all-zero features: left out (true) or an InputError (false).
  bool skip_invalid = false;
  int64_t block_rows = 0;  // rows per read block; 0: kDefaultPrepareBlockRows
  /// Account ids by input row, for error messages; empty: row numbers.
  std::vector<int64_t> ids;
  /// The k of the kNN search that follows (0: unknown): a backend that keeps the rows on its
  /// device checks that they leave room for that search.
  int knn_k = 0;
};

constexpr int64_t kDefaultPrepareBlockRows = 65536;

/// Throughput of one stage of getting the features in (read, upload, preprocess, ...).
struct StageRate {
  std::string stage;
  double bytes = 0;
  double seconds = 0;  // busy time of the stage (overlapped stages each count their own)
  double bytes_per_second() const { return seconds > 0 ? bytes / seconds : 0; }
};

/// Backend-private rows kept where the search runs (a GPU's memory). Opaque to host code,
/// except for a copy back (tests compare it with the host path; a host-only step may need it).
class DeviceFeatures {
 public:
  virtual ~DeviceFeatures() = default;
  /// The rows x cols preprocessed rows into out (host memory), row-major.
  virtual void download(float* out) const = 0;
};

/// The assessed rows after preprocessing, with the map back to input rows.
struct PreparedFeatures {
  int64_t rows = 0;  // assessed rows
  int64_t cols = 0;
  /// The preprocessed rows in host memory. Empty (no values) when `device` holds them instead.
  Matrix matrix;
  std::shared_ptr<DeviceFeatures> device;
  std::vector<int64_t> input_row;        // assessed row -> input row
  std::vector<int64_t> invalid_rows;     // input rows left out (skip_invalid)
  FeatureStats stats;                    // empty when not standardised
  bool compared_unstandardised = false;  // every feature constant: rows kept as they are
  std::vector<float> squared_norms;      // inner_product only: per assessed row
  std::vector<StageRate> stages;         // in pipeline order
  double seconds = 0;                    // wall clock of the whole preparation
  double bytes_read = 0;                 // float32 bytes delivered by the source

  bool on_host() const { return matrix.values.size() == static_cast<size_t>(rows * cols); }
};

// Pieces of the reference preprocessing that every backend shares, so that a device path gives
// the host path's results bit for bit: the chunked statistics, the standardisation
// coefficients and the invalid-row message.

/// Column statistics are summed per fixed chunk of rows (sequentially within a chunk, in
/// double) and the chunk partials are added in chunk order: the same floating-point operations
/// whatever the thread count, read block size or device.
constexpr int64_t kStatsChunkRows = 8192;

inline int64_t stats_chunks(int64_t rows) { return (rows + kStatsChunkRows - 1) / kStatsChunkRows; }

/// Column totals of chunk partials (chunk c, column j at partial[c * cols + j]), in chunk order.
std::vector<double> sum_chunk_partials(const std::vector<double>& partial, int64_t chunks,
                                       int64_t cols);

/// Means from the first pass's column totals.
std::vector<double> column_means(const std::vector<double>& sums, int64_t rows);

/// The statistics from the means and the second pass's totals of squared deviations from them:
/// population deviation, and a feature that barely varies relative to its magnitude counted
/// constant (deviation 0).
FeatureStats feature_stats_from_sums(std::vector<double> mean, const std::vector<double>& squares,
                                     int64_t rows);

/// Whether to standardise with these statistics (false when every feature is constant: then the
/// rows are compared as they are); logs the decision as the sweep always has.
bool standardisation_applies(const FeatureStats& stats, int64_t cols);

/// x' = (x - shift[j]) * scale[j] in float: shift and scale computed in double, then rounded.
void standardize_coefficients(const FeatureStats& stats, std::vector<float>* shift,
                              std::vector<float>* scale);

/// The one-line InputError text for an invalid input row: bad_col >= 0 names the first
/// non-finite feature (with its value), bad_col < 0 means all features are zero.
std::string invalid_row_message(const std::string& file, int64_t input_row, int64_t id,
                                int64_t bad_col, float value);

}  // namespace unfriend
