#include "host/pipeline/checkpoint.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "host/core/error.h"
#include "host/core/fnv64.h"
#include "host/core/progress.h"
#include "host/io/durable_file.h"
#include "host/pipeline/checkpoint_unit.h"

namespace unfriend {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "unfriend-knn-checkpoint/1";
constexpr const char* kManifest = "manifest.json";
constexpr const char* kLock = "lock";

std::string hash_of(const nlohmann::json& value) {
  Fnv64 hash;
  hash.add(value.dump());
  return hash.hex();
}

// "section.key" -> value, for naming what differs between two configurations or inputs.
void flatten(const nlohmann::json& value, const std::string& prefix,
             std::map<std::string, nlohmann::json>& out) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
  } else {
    out[prefix] = value;
  }
}

std::string differences(const nlohmann::json& before, const nlohmann::json& now) {
  std::map<std::string, nlohmann::json> a, b;
  flatten(before, "", a);
  flatten(now, "", b);
  std::string text;
  auto add = [&](const std::string& key, const std::string& was, const std::string& is) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} was {}, now {}", key, was, is);
  };
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    if (it == b.end()) {
      add(key, value.dump(), "unset");
    } else if (it->second != value) {
      add(key, value.dump(), it->second.dump());
    }
  }
  for (const auto& [key, value] : b) {
    if (a.find(key) == a.end()) add(key, "unset", value.dump());
  }
  return text.empty() ? std::string("details differ") : text;
}

std::string read_whole_file(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  *ok = static_cast<bool>(in) || in.eof();
  return text.str();
}

bool is_temp_name(const std::string& name) { return name.find(".tmp-") != std::string::npos; }

bool is_unit_name(const std::string& name) {
  return name.size() > 9 && name.compare(0, 5, "unit-") == 0 &&
         name.compare(name.size() - 4, 4, ".bin") == 0;
}

}  // namespace

nlohmann::json checkpoint_config(const SweepConfig& config) {
  const nlohmann::json all = config_to_json(config);
  nlohmann::json out;
  out["input"] = {{"features", all["input"]["features"]},
                  {"ids", all["input"]["ids"]},
                  {"on_invalid", all["input"]["on_invalid"]}};
  out["preprocess"] = all["preprocess"];
  out["knn"] = all["knn"];
  return out;
}

std::string default_work_dir(const std::string& output_path) { return output_path + ".work"; }

WorkDirCheckpoint::WorkDirCheckpoint(const std::string& dir, bool resume,
                                     const InputIdentity& input, const nlohmann::json& config,
                                     const std::string& backend, std::function<bool()> stop)
    : dir_(dir), stop_(std::move(stop)) {
  if (const char* slow = std::getenv("UNFRIEND_TEST_SLOW_UNIT_MS")) {
    slow_unit_ms_ = std::max(0, std::atoi(slow));
  }
  const nlohmann::json input_json = input.to_json();
  identity_ = {{"format", kFormat},   {"unfriend_version", UNFRIEND_VERSION},
               {"input", input_json}, {"input_hash", hash_of(input_json)},
               {"config", config},    {"config_hash", hash_of(config)},
               {"backend", backend}};

  std::error_code ec;
  const fs::file_status status = fs::status(dir_, ec);
  if (fs::exists(status) && !fs::is_directory(status)) {
    throw InputError(fmt::format(
        "{}: exists and is not a folder (it is the sweep's work dir, see --work-dir)", dir_));
  }
  if (!fs::exists(status)) {
    if (resume) log_info(fmt::format("no checkpoint in {}: starting from the beginning", dir_));
    if (!fs::create_directory(dir_, ec) || ec) {
      throw InputError(fmt::format("{}: cannot create the work dir ({})", dir_,
                                   ec ? ec.message() : std::string("it appeared meanwhile")));
    }
    created_ = true;
    lock();
    write_manifest();
    return;
  }

  if (!fs::exists(manifest_path(), ec)) {
    // An empty folder (or one left by a run killed before its first manifest) is used as it
    // is; anything else is somebody's data.
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      const std::string name = entry.path().filename().string();
      if (name != kLock && !is_temp_name(name)) {
        throw InputError(fmt::format(
            "{}: exists and holds files that are not an unfriend checkpoint ({}); choose another "
            "--work-dir",
            dir_, name));
      }
    }
    if (resume) log_info(fmt::format("no checkpoint in {}: starting from the beginning", dir_));
    lock();
    remove_files(false);
    write_manifest();
    return;
  }

  if (!resume) {
    throw InputError(fmt::format(
        "{}: holds the checkpoint of an earlier sweep; pass --resume to continue it, or remove "
        "the folder to start fresh",
        dir_));
  }
  lock();
  bool ok = false;
  const std::string text = read_whole_file(manifest_path(), &ok);
  nlohmann::json manifest;
  try {
    if (!ok) throw std::runtime_error("cannot read it");
    manifest = nlohmann::json::parse(text);
    if (!manifest.is_object()) throw std::runtime_error("not a JSON object");
  } catch (const std::exception& e) {
    throw InputError(
        fmt::format("{}: unreadable checkpoint manifest ({}); remove {} to start fresh",
                    manifest_path(), e.what(), dir_));
  }
  check_matches(manifest);
  try {
    plan_ = manifest.value("plan", std::string());
    manifest_units_ = manifest.value("units", int64_t{-1});
    // Finished units as [first, last] ranges: a few entries however many units there are.
    const nlohmann::json done = manifest.value("done", nlohmann::json::array());
    for (const auto& range : done) {
      const auto first = range.at(0).get<int64_t>();
      const auto last = range.at(1).get<int64_t>();
      if (range.size() != 2 || first < 0 || last < first || last >= manifest_units_) {
        throw std::runtime_error(fmt::format("bad unit range {}", range.dump()));
      }
      for (int64_t u = first; u <= last; ++u) done_list_.push_back(u);
    }
  } catch (const std::exception& e) {
    throw InputError(
        fmt::format("{}: unreadable checkpoint manifest ({}); remove {} to start fresh",
                    manifest_path(), e.what(), dir_));
  }
  resumed_ = true;
  created_ = true;      // made by the run that is resumed: removed after success
  remove_files(false);  // temporary files of the run that was killed
  log_info(fmt::format("resuming from the checkpoint in {} ({} kNN units saved)", dir_,
                       done_list_.size()));
}

WorkDirCheckpoint::LockFile::~LockFile() { close(); }

void WorkDirCheckpoint::LockFile::close() {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

WorkDirCheckpoint::~WorkDirCheckpoint() {
  // A checkpoint this run started and never saved a unit into is of no use to anyone: leaving
  // it would only make the next run ask for --resume.
  if (!removed_ && !resumed_ && units_saved_ == 0) {
    try {
      remove_files(true);
    } catch (...) {
    }
    lock_.close();
    std::error_code ec;
    if (created_) fs::remove(dir_, ec);
  }
}

std::string WorkDirCheckpoint::manifest_path() const {
  return (fs::path(dir_) / kManifest).string();
}

std::string WorkDirCheckpoint::unit_path(int64_t unit) const {
  return (fs::path(dir_) / fmt::format("unit-{:08d}.bin", unit)).string();
}

void WorkDirCheckpoint::lock() {
  const std::string path = (fs::path(dir_) / kLock).string();
  lock_.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_.fd < 0) {
    throw InputError(
        fmt::format("{}: cannot use the work dir ({})", dir_, write_error_reason(errno)));
  }
  if (::flock(lock_.fd, LOCK_EX | LOCK_NB) != 0) {
    lock_.close();
    throw InputError(fmt::format(
        "{}: in use by another unfriend sweep; wait for it to finish, or use another --work-dir",
        dir_));
  }
}

void WorkDirCheckpoint::check_matches(const nlohmann::json& manifest) const {
  const std::string fresh = fmt::format("remove {} to start fresh", dir_);
  if (manifest.value("format", std::string()) != kFormat) {
    throw InputError(fmt::format("{}: not a checkpoint this unfriend can read (format '{}'); {}",
                                 manifest_path(), manifest.value("format", std::string("?")),
                                 fresh));
  }
  if (manifest.value("unfriend_version", std::string()) != identity_["unfriend_version"]) {
    throw InputError(fmt::format(
        "{}: the checkpoint was made by unfriend {}, this is unfriend {}; resume with unfriend "
        "{}, or {}",
        dir_, manifest.value("unfriend_version", std::string("?")),
        identity_["unfriend_version"].get<std::string>(),
        manifest.value("unfriend_version", std::string("?")), fresh));
  }
  if (manifest.value("backend", std::string()) != identity_["backend"]) {
    const std::string was = manifest.value("backend", std::string("?"));
    throw InputError(fmt::format(
        "{}: the checkpoint was made by the {} backend, this run uses {}; resume with --backend "
        "{}, or {}",
        dir_, was, identity_["backend"].get<std::string>(), was, fresh));
  }
  if (manifest.value("input_hash", std::string()) != identity_["input_hash"]) {
    const nlohmann::json was = manifest.value("input", nlohmann::json::object());
    throw InputError(fmt::format(
        "{}: the checkpoint is of another input ({}); resume with the input it was made from, "
        "or {}",
        dir_, differences(was, identity_["input"]), fresh));
  }
  if (manifest.value("config_hash", std::string()) != identity_["config_hash"]) {
    const nlohmann::json was = manifest.value("config", nlohmann::json::object());
    throw InputError(fmt::format(
        "{}: the checkpoint was made with another configuration ({}); resume with the same "
        "settings, or {}",
        dir_, differences(was, identity_["config"]), fresh));
  }
}

void WorkDirCheckpoint::write_manifest() {
  nlohmann::json manifest = identity_;
  manifest["plan"] = plan_;
  std::vector<int64_t> done;
  if (units_ >= 0) {
    manifest["units"] = units_;
    for (int64_t u = 0; u < units_; ++u) {
      if (done_[static_cast<size_t>(u)]) done.push_back(u);
    }
  } else {
    manifest["units"] = manifest_units_;
    done = done_list_;
  }
  // [first, last] ranges of finished units (sorted): the manifest is rewritten after every
  // unit, so its size must not grow with the unit count.
  std::sort(done.begin(), done.end());
  nlohmann::json ranges = nlohmann::json::array();
  for (size_t i = 0; i < done.size();) {
    size_t j = i;
    while (j + 1 < done.size() && done[j + 1] == done[j] + 1) ++j;
    ranges.push_back({done[i], done[j]});
    i = j + 1;
  }
  manifest["done"] = ranges;
  write_file_durably(manifest_path(), manifest.dump(1) + "\n");
}

void WorkDirCheckpoint::begin(const std::string& plan, int64_t units) {
  if (units < 0) throw std::invalid_argument(fmt::format("{}: {} kNN units", dir_, units));
  if (units_ >= 0) {
    if (plan == plan_ && units == units_) return;
    throw std::logic_error(fmt::format("{}: a second kNN build in one checkpoint", dir_));
  }
  if (!plan_.empty() && (plan != plan_ || units != manifest_units_)) {
    throw InputError(fmt::format(
        "{}: the checkpoint's kNN units do not match this run (saved: {}, {} units; now: {}, {} "
        "units); remove {} to start fresh",
        dir_, plan_, manifest_units_, plan, units, dir_));
  }
  plan_ = plan;
  units_ = units;
  manifest_units_ = units;
  done_.assign(static_cast<size_t>(units), 0);
  for (int64_t u : done_list_) {
    if (u >= 0 && u < units) done_[static_cast<size_t>(u)] = 1;
  }
  write_manifest();
  if (resumed_) {
    log_info(fmt::format("knn: {} of {} units are read back from {}", units_done(), units, dir_));
  }
}

int64_t WorkDirCheckpoint::units_done() const {
  if (units_ < 0) return static_cast<int64_t>(done_list_.size());
  return std::count(done_.begin(), done_.end(), uint8_t{1});
}

bool WorkDirCheckpoint::done(int64_t unit) const {
  return units_ >= 0 && unit >= 0 && unit < units_ && done_[static_cast<size_t>(unit)] != 0;
}

bool WorkDirCheckpoint::load(int64_t unit, KnnUnit& out) {
  if (!done(unit)) return false;
  const std::string path = unit_path(unit);
  auto reject = [&](const std::string& why) {
    log_warning(fmt::format("{}: {}; computing the unit again", path, why));
    done_[static_cast<size_t>(unit)] = 0;
    return false;
  };
  bool ok = false;
  const std::string buffer = read_whole_file(path, &ok);
  if (!ok) return reject("cannot be read");
  const std::string fault = decode_checkpoint_unit(buffer, unit, out);
  if (!fault.empty()) return reject(fault);
  ++units_loaded_;
  return true;
}

void WorkDirCheckpoint::save(int64_t unit, const KnnUnit& data) {
  if (removed_ || units_ < 0 || unit < 0 || unit >= units_) {
    throw std::logic_error(fmt::format("{}: unit {} saved outside a kNN build", dir_, unit));
  }
  const size_t cells = data.rows.size() * static_cast<size_t>(std::max(data.width, 0));
  if (data.neighbors.size() != cells || data.similarity.size() != cells) {
    throw std::invalid_argument(fmt::format("{}: unit {} is malformed", dir_, unit));
  }
  const std::string buffer = encode_checkpoint_unit(unit, data);
  // The unit first, then the manifest that lists it: a kill in between leaves a unit file that
  // no manifest mentions, which the next run simply overwrites.
  write_file_durably(unit_path(unit), buffer);
  done_[static_cast<size_t>(unit)] = 1;
  ++units_saved_;
  write_manifest();
  if (slow_unit_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(slow_unit_ms_));
}

bool WorkDirCheckpoint::stop_requested() const { return stop_ && stop_(); }

void WorkDirCheckpoint::remove_files(bool all) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (is_temp_name(name) || (all && (name == kManifest || name == kLock || is_unit_name(name)))) {
      doomed.push_back(entry.path());
    }
  }
  for (const fs::path& path : doomed) fs::remove(path, ec);
}

void WorkDirCheckpoint::remove() {
  if (removed_) return;
  removed_ = true;
  // The manifest goes first: should the removal stop half way, no manifest means no
  // checkpoint, rather than a manifest listing units that are gone.
  std::error_code ec;
  fs::remove(manifest_path(), ec);
  remove_files(true);
  lock_.close();
  if (fs::is_empty(dir_, ec) && !ec) {
    if (created_) fs::remove(dir_, ec);
  } else {
    log_warning(fmt::format("{}: left in place: it holds files unfriend did not write", dir_));
  }
}

}  // namespace unfriend
