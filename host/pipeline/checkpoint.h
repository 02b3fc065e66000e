// Checkpoints of the sweep's kNN stage, kept in a work directory: the finished units of the
// graph and a manifest saying which input, configuration and plan they belong to. A killed sweep
// resumes from them (--resume) and gives byte-identical outputs; a checkpoint of another input
// or configuration is refused rather than mixed in.
//
// Layout of the work directory (all files written to a temporary name, synced, renamed):
//   manifest.json      format, unfriend version, input identity, configuration, backend, plan,
//                      unit count and the finished units ("done": [first, last] ranges)
//   unit-NNNNNNNN.bin  one finished unit (binary, host byte order, with a checksum)
//   lock               held (flock) while a sweep uses the folder
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/core/backend.h"
#include "host/core/config.h"
#include "host/pipeline/input_identity.h"

namespace unfriend {

/// The settings a kNN checkpoint depends on: the input datasets, the invalid-row policy,
/// preprocessing and every [knn] key (query_block_rows included: it sizes the units). Output,
/// thread, memory, recall and threshold settings are left out: they do not change the graph, so
/// they may differ on a resume (the later stages run again with the new values).
nlohmann::json checkpoint_config(const SweepConfig& config);

/// "out.h5" -> "out.h5.work".
std::string default_work_dir(const std::string& output_path);

/// A KnnCheckpoint that saves nothing and only passes a stop request on (--no-checkpoint: a
/// signal still stops the kNN build at the next unit boundary).
class StopOnlyCheckpoint final : public KnnCheckpoint {
 public:
  explicit StopOnlyCheckpoint(std::function<bool()> stop) : stop_(std::move(stop)) {}
  void begin(const std::string&, int64_t) override {}
  bool done(int64_t) const override { return false; }
  bool load(int64_t, KnnUnit&) override { return false; }
  void save(int64_t, const KnnUnit&) override {}
  bool stop_requested() const override { return stop_ && stop_(); }

 private:
  std::function<bool()> stop_;
};

/// The checkpoint in a work directory.
class WorkDirCheckpoint final : public KnnCheckpoint {
 public:
  /// Opens the work directory `dir` for a sweep of `input` with configuration `config` (see
  /// checkpoint_config) on backend `backend`. Without `resume` the folder must not hold a
  /// checkpoint (it is created; an empty folder is used as it is). With `resume` an existing
  /// checkpoint must match the input, configuration, backend and unfriend version, and its
  /// finished units are used; no checkpoint means a fresh start. InputError (one line, with
  /// how to go on) when the folder holds another run's checkpoint, files that are not a
  /// checkpoint, an unreadable manifest, or is in use by another sweep. `stop` is polled by
  /// stop_requested(). The environment variable UNFRIEND_TEST_SLOW_UNIT_MS (tests only) makes
  /// save() sleep that long after each unit, so that tests can kill a sweep between units.
  WorkDirCheckpoint(const std::string& dir, bool resume, const InputIdentity& input,
                    const nlohmann::json& config, const std::string& backend,
                    std::function<bool()> stop);
  /// Releases the lock. A folder this object created and saved no unit into is removed;
  /// otherwise the checkpoint stays for a resume.
  ~WorkDirCheckpoint() override;
  WorkDirCheckpoint(const WorkDirCheckpoint&) = delete;
  WorkDirCheckpoint& operator=(const WorkDirCheckpoint&) = delete;

  void begin(const std::string& plan, int64_t units) override;
  bool done(int64_t unit) const override;
  bool load(int64_t unit, KnnUnit& out) override;
  void save(int64_t unit, const KnnUnit& data) override;
  bool stop_requested() const override;

  /// After the outputs are in place: deletes the checkpoint's files and the folder (files it
  /// did not write are left, with a warning). Nothing can be saved afterwards.
  void remove();

  const std::string& dir() const { return dir_; }
  /// Whether this run continues an earlier checkpoint.
  bool resumed() const { return resumed_; }
  int64_t units() const { return units_; }
  int64_t units_done() const;
  /// Units read back from the checkpoint in this run.
  int64_t units_loaded() const { return units_loaded_; }

 private:
  std::string manifest_path() const;
  std::string unit_path(int64_t unit) const;
  void lock();
  void write_manifest();
  void check_matches(const nlohmann::json& manifest) const;
  void remove_files(bool all);

  std::string dir_;
  nlohmann::json identity_;  // format, version, input, config, backend (what must match)
  std::function<bool()> stop_;
  std::string plan_;
  int64_t manifest_units_ = -1;     // unit count the manifest was written with (-1: none yet)
  int64_t units_ = -1;              // -1: before begin()
  std::vector<int64_t> done_list_;  // from the manifest, until begin() sizes done_
  std::vector<uint8_t> done_;
  int64_t units_loaded_ = 0;
  int64_t units_saved_ = 0;
  // The lock's descriptor, closed by its own destructor: also when the constructor throws
  // after taking the lock (a refused checkpoint must not stay locked in this process).
  struct LockFile {
    int fd = -1;
    ~LockFile();
    void close();
  } lock_;
  bool created_ = false;  // the folder is ours to remove (made by this run or the resumed one)
  bool resumed_ = false;
  bool removed_ = false;
  int slow_unit_ms_ = 0;
};

}  // namespace unfriend
