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

/// Per-feature robust statistics of the assessed rows (robust_feature_stats): a few extreme
/// accounts, however extreme, cannot move them.
struct FeatureStats {
  std::vector<double> location;  // winsorised mean (see robust_feature_stats)
  std::vector<double> scale;     // winsorised deviation; 0: constant
  int64_t constant_features = 0;
  int64_t sample_rows = 0;  // rows the statistics were taken from
  /// Per feature: the largest |x - location| / scale in the sample (0 for constant features):
  /// how extreme its scale is, named when a sweep flags an alarming share of its accounts.
  std::vector<double> extreme;
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
  /// Standardised values are clipped at this many robust deviations (standardized_value).
  double clip = 6.0;
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
// the host path's results bit for bit: the statistics sample, the robust statistics and the
// invalid-row message (the per-value rule is host/core/standardized_value.h).

/// The statistics are taken from a fixed sample of the assessed rows: every stride-th row from
/// row 0, at most kStatsSampleRows of them. Bounded memory whatever N, and the same rows
/// whatever the thread count, block size or device.
constexpr int64_t kStatsSampleRows = 65536;
int64_t stats_sample_stride(int64_t rows);
int64_t stats_sample_rows(int64_t rows);

/// Winsorised mean and deviation of each column of `sample` ([sample_rows x cols],
/// row-major): the moments of the values clipped to the sample's [kWinsorShare, 1 -
/// kWinsorShare] quantiles, so that up to that share of rows cannot move them, however extreme.
/// A feature constant within those quantiles (very sparse) takes 1.2533 x its mean absolute
/// deviation instead. A feature whose deviation is 0, or below 1e-12 of its location (rounding,
/// not signal), is constant. Scaling a column by a power of two scales its statistics exactly.
constexpr double kWinsorShare = 0.005;
FeatureStats robust_feature_stats(std::vector<float> sample, int64_t sample_rows, int64_t cols);

/// Whether to standardise with these statistics (false when every feature is constant: then the
/// rows are compared as they are); logs the decision as the sweep always has.
bool standardisation_applies(const FeatureStats& stats, int64_t cols);

/// The one-line InputError text for an invalid input row: bad_col >= 0 names the first
/// non-finite feature (with its value), bad_col < 0 means all features are zero.
std::string invalid_row_message(const std::string& file, int64_t input_row, int64_t id,
                                int64_t bad_col, float value);

}  // namespace unfriend
