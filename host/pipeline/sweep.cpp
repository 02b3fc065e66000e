#include "host/pipeline/sweep.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <numeric>
#include <thread>

#include "host/core/backend.h"
#include "host/core/error.h"
#include "host/core/knn_settings.h"
#include "host/core/progress.h"
#include "host/cpu/knn_recall.h"
#include "host/io/action_log.h"
#include "host/io/durable_file.h"
#include "host/io/feature_reader.h"
#include "host/io/file_stamp.h"
#include "host/io/h5_reader.h"
#include "host/io/h5_writer.h"
#include "host/pipeline/action_index.h"
#include "host/pipeline/checkpoint.h"
#include "host/pipeline/cluster_profile.h"
#include "host/pipeline/density.h"
#include "host/pipeline/groups.h"
#include "host/pipeline/lockstep.h"
#include "host/pipeline/lockstep_output.h"
#include "host/pipeline/memory_plan.h"
#include "host/pipeline/outcome.h"
#include "host/pipeline/outcome_output.h"
#include "host/pipeline/preprocess.h"
#include "host/pipeline/sweep_tables.h"
#include "host/pipeline/sweep_text.h"
#include "host/pipeline/top_clusters.h"

namespace unfriend {

namespace fs = std::filesystem;

namespace {

class StageClock {
 public:
  void start(const std::string& stage) {
    stage_ = stage;
    begin_ = std::chrono::steady_clock::now();
  }
  double stop() {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
    times_.push_back(StageTime{stage_, s});
    return s;
  }
  const std::vector<StageTime>& times() const { return times_; }
  nlohmann::json json() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& t : times_) j[t.stage] = t.seconds;
    return j;
  }

 private:
  std::string stage_;
  std::chrono::steady_clock::time_point begin_;
  std::vector<StageTime> times_;
};

// Fails before any work when the output could not be written at the end.
void check_output_path(const std::string& output, const std::string& input, bool overwrite) {
  std::error_code ec;
  if (fs::exists(output, ec)) {
    if (fs::equivalent(output, input, ec)) {
      throw InputError(fmt::format("{}: the output must not be the input file", output));
    }
    if (!overwrite) throw InputError(fmt::format("{}: exists (use --overwrite)", output));
    if (fs::is_directory(output, ec)) throw InputError(fmt::format("{}: is a directory", output));
  }
  fs::path parent = fs::path(output).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    throw InputError(fmt::format("{}: cannot create output (folder {} does not exist)", output,
                                 parent.string()));
  }
  if (::access(parent.c_str(), W_OK) != 0) {
    throw InputError(fmt::format("{}: cannot create output (folder {} is not writable)", output,
                                 parent.string()));
  }
}

// What the memory plan is made from: the input's shape, the resolved kNN mode and its settings.
MemoryPlanInput memory_plan_input(const InputInfo& info, const SweepConfig& config,
                                  const Backend& backend, int64_t read_block_rows,
                                  bool checkpoint) {
  MemoryPlanInput in;
  in.rows = info.rows;
  in.cols = info.cols;
  in.k = config.knn.k;
  in.metric = config.preprocess.metric;
  const KnnFootprint footprint = backend.knn_footprint(info.rows, info.cols, config.knn);
  in.knn_on_device = footprint.on_device;
  in.device_staging_bytes = footprint.host_staging_bytes;
  in.mode = footprint.mode;
  in.threads = config.run.threads > 0
                   ? config.run.threads
                   : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  in.read_block_rows = read_block_rows;
  in.query_block_rows = config.knn.query_block_rows;
  if (in.mode == KnnMode::ivf) {
    const IvfSettings ivf = resolve_ivf_settings(info.rows, config.knn);
    in.ivf_nlist = ivf.nlist;
    in.ivf_nprobe = ivf.tune_nprobe ? 0 : ivf.nprobe;
    in.ivf_train_rows = ivf.train_rows;
  }
  in.hnsw_m = config.knn.hnsw_m;
  in.recall_rows = config.recall.sample_rows;
  in.write_graph = config.output.write_graph;
  in.checkpoint = checkpoint;
  const bool cohesion = config.clusters.min_cohesion > 0;
  in.features_after_knn = cohesion || config.clusters.method == "hierarchy";
  // Planned as if every row were clustered: the test samples at most every row.
  in.cohesion_queries = cohesion ? info.rows : 0;
  in.cohesion_neighbors = config.clusters.min_pts;
  in.exact_max_rows = config.knn.auto_exact_max_rows;
  return in;
}

void check_work_dir(const std::string& work_dir, const std::string& input,
                    const std::string& output) {
  std::error_code ec;
  const fs::path dir = fs::absolute(work_dir, ec).lexically_normal();
  for (const std::string& file : {input, output}) {
    if (dir == fs::absolute(file, ec).lexically_normal()) {
      throw InputError(
          fmt::format("{}: the work dir must not be the input or output file", work_dir));
    }
  }
}

// What the sweep could tell about degenerate input before searching it.
struct DegenerateInput {
  int64_t constant_features = 0;
  int64_t informative_features = 0;
  int64_t distinct_rows = -1;  // -1: not counted (the rows live on a device)
};

// Refuses what cosine cannot compare and reports what makes a sweep say little, each in one
// line naming the file: a single informative feature (cosine similarity is then only its
// sign), constant features (left out), very few distinct rows.
DegenerateInput check_degenerate_input(const PreparedFeatures& features, const SweepConfig& config,
                                       const std::string& file) {
  DegenerateInput d;
  const bool standardised = config.preprocess.standardize && !features.compared_unstandardised;
  d.constant_features = standardised ? features.stats.constant_features : 0;
  d.informative_features = features.cols - d.constant_features;
  if (standardised && d.constant_features > 0) {
    log_info(fmt::format("{}: {} of {} features are constant and were left out", file,
                         d.constant_features, features.cols));
  }
  if (config.preprocess.metric == Metric::cosine && d.informative_features == 1 &&
      !features.compared_unstandardised) {
    throw InputError(fmt::format(
        "{}: only 1 informative feature (of {}): cosine similarity of one feature is only its "
        "sign; sweep it with --metric l2, or give more features",
        file, features.cols));
  }
  if (features.on_host()) {
    std::vector<uint64_t> hashes(static_cast<size_t>(features.rows));
    for (int64_t r = 0; r < features.rows; ++r) {
      // FNV-1a over the row's bytes: equal rows, equal hashes.
      uint64_t h = 1469598103934665603ull;
      const auto* bytes = reinterpret_cast<const unsigned char*>(features.matrix.row(r));
      for (int64_t b = 0; b < features.cols * 4; ++b) h = (h ^ bytes[b]) * 1099511628211ull;
      hashes[static_cast<size_t>(r)] = h;
    }
    std::sort(hashes.begin(), hashes.end());
    d.distinct_rows =
        static_cast<int64_t>(std::unique(hashes.begin(), hashes.end()) - hashes.begin());
    if (features.rows > 1 &&
        (d.distinct_rows <= config.knn.k || 100 * d.distinct_rows < features.rows)) {
      log_info(
          fmt::format("{}: only {} distinct rows among {} assessed accounts: most accounts are "
                      "exact copies of others",
                      file, d.distinct_rows, features.rows));
    }
  }
  return d;
}

}  // namespace

std::string summary_path_for(const std::string& output_path) {
  fs::path p(output_path);
  std::string stem = p.extension() == ".h5" || p.extension() == ".hdf5" ? p.stem().string()
                                                                        : p.filename().string();
  return (p.parent_path() / (stem + ".summary.json")).string();
}

SweepSummary run_sweep(const SweepRequest& request) {
  // A copy: block sizes may be shrunk to fit --max-memory, and the output records what ran.
  SweepConfig config = request.config;
  validate_config(config, request.config_source);
  StageClock clock;
  auto wall_start = std::chrono::steady_clock::now();

  // Open and validate everything that can be checked up front.
  clock.start("open");
  // The input's stamp before anything is read: compared again before results are written.
  const FileStamp input_stamp = file_stamp(request.input_path);
  FeatureReader reader(request.input_path, config.input.features, config.input.ids);
  // The action log's layout is checked now too, not after the kNN graph.
  std::unique_ptr<ActionLogReader> actions;
  FileStamp actions_stamp;
  if (!request.actions_path.empty()) {
    actions_stamp = file_stamp(request.actions_path);
    actions = std::make_unique<ActionLogReader>(request.actions_path);
  }
  // Lists and the previous result are read now: a typo in them must not cost a whole sweep.
  const std::vector<int64_t> protected_ids = request.protect_path.empty()
                                                 ? std::vector<int64_t>()
                                                 : read_account_list(request.protect_path);
  const std::vector<int64_t> cleared_ids = request.cleared_path.empty()
                                               ? std::vector<int64_t>()
                                               : read_account_list(request.cleared_path);
  std::unique_ptr<PreviousResult> previous;
  if (!request.previous_path.empty()) {
    previous = std::make_unique<PreviousResult>(read_previous_result(request.previous_path));
  }
  const InputInfo& info = reader.info();
  check_output_path(request.output_path, request.input_path, config.output.overwrite);
  std::vector<int64_t> ids = reader.read_ids();
  BackendOptions backend_options;
  backend_options.threads = config.run.threads;
  backend_options.gpu_memory_bytes = config.run.gpu_memory_bytes;
  std::unique_ptr<Backend> backend = make_backend(config.run.backend, backend_options);

  // The memory plan of what each stage holds; with --max-memory, blocks shrink to fit or the
  // run is refused now rather than hours in.
  int64_t block_rows =
      config.input.block_rows > 0 ? config.input.block_rows : reader.suggested_block_rows();
  const MemoryPlanInput plan_input =
      memory_plan_input(info, config, *backend, block_rows, request.checkpoint);
  MemoryPlan memory = plan_memory(plan_input);
  if (config.run.max_memory_bytes > 0) {
    memory = fit_memory_plan(plan_input, config.run.max_memory_bytes, request.input_path);
    const std::string limit = human_bytes(static_cast<double>(config.run.max_memory_bytes));
    if (memory.read_block_rows != block_rows ||
        memory.query_block_rows != config.knn.query_block_rows) {
      log_info(
          fmt::format("--max-memory {}: {} rows per read block and {} per kNN query block "
                      "(instead of {} and {}) to fit",
                      limit, memory.read_block_rows, memory.query_block_rows, block_rows,
                      config.knn.query_block_rows));
      block_rows = memory.read_block_rows;
      config.knn.query_block_rows = memory.query_block_rows;
    }
    log_info(fmt::format("memory plan: about {} at most (the {} stage), within --max-memory {}",
                         human_bytes(memory.peak().total()), memory.peak().name, limit));
  }

  // The kNN checkpoint, after every check that needs no reading, so that bad usage never leaves
  // a work dir behind (one that this run made and saved nothing into is removed on failure).
  std::unique_ptr<WorkDirCheckpoint> work;
  StopOnlyCheckpoint stop_only(request.stop_requested);
  KnnCheckpoint* hook = request.stop_requested ? &stop_only : nullptr;
  if (request.checkpoint) {
    const std::string work_dir =
        request.work_dir.empty() ? default_work_dir(request.output_path) : request.work_dir;
    check_work_dir(work_dir, request.input_path, request.output_path);
    work = std::make_unique<WorkDirCheckpoint>(
        work_dir, request.resume, input_identity(request.input_path, reader),
        checkpoint_config(config), backend->name(), request.stop_requested);
    hook = work.get();
  }
  // What a stop leaves behind, for the message that says how to resume.
  auto saved_state = [&]() -> std::string {
    if (!work) return "nothing saved: --no-checkpoint";
    const int64_t done = work->units_done();
    if (done == 0) return "no kNN unit saved yet";
    if (work->units() < 0) return fmt::format("{} kNN units saved in {}", done, work->dir());
    return fmt::format("{} of {} kNN units saved in {}", done, work->units(), work->dir());
  };
  auto stop_point = [&] {
    if (request.stop_requested && request.stop_requested()) throw StopRequested(saved_state());
  };
  clock.stop();
  log_info(fmt::format("input {}: {} accounts x {} features ({}), backend {}", info.file, info.rows,
                       info.cols, info.dtype, backend->name()));
  stop_point();

  // Reading, checking and preprocessing: where the backend will search (a GPU streams the rows
  // into its memory), else on the host (the reference path).
  clock.start("prepare");
  PrepareOptions prepare;
  prepare.standardize = config.preprocess.standardize;
  prepare.clip = config.preprocess.clip;
  prepare.metric = config.preprocess.metric;
  prepare.skip_invalid = config.input.on_invalid == "skip";
  prepare.block_rows = block_rows;
  prepare.ids = std::move(ids);  // lent for error messages, given back below
  prepare.knn_k = config.knn.k;
  PreparedFeatures loaded;
  if (!backend->prepare_features(reader, prepare, &loaded)) {
    loaded = prepare_features_on_host(reader, prepare);
  }
  ids = std::move(prepare.ids);
  clock.stop();
  const char* prepared_where = loaded.device ? "device" : "host";
  const int64_t assessed = loaded.rows;
  double read_seconds = 0;
  nlohmann::json prepare_stages = nlohmann::json::array();
  std::string stage_rates;
  for (const StageRate& rate : loaded.stages) {
    if (rate.stage == "read") read_seconds = rate.seconds;
    const double mb_per_s = rate.bytes_per_second() / 1e6;
    prepare_stages.push_back({{"stage", rate.stage},
                              {"bytes", rate.bytes},
                              {"seconds", rate.seconds},
                              {"mb_per_s", mb_per_s}});
    stage_rates += fmt::format("{}stage {} {:.0f} MB/s", stage_rates.empty() ? "" : ", ",
                               rate.stage, mb_per_s);
  }
  log_info(fmt::format("features prepared on the {} in {:.2f} s: {}", prepared_where,
                       loaded.seconds, stage_rates));
  if (!loaded.invalid_rows.empty()) {
    log_info(fmt::format("{} rows with NaN, Inf or all-zero features left out (labelled -2)",
                         loaded.invalid_rows.size()));
  }
  const DegenerateInput degenerate = check_degenerate_input(loaded, config, request.input_path);
  std::vector<float> squared_norms = std::move(loaded.squared_norms);
  stop_point();

  check_unchanged(request.input_path, input_stamp);
  if (actions)
    check_unchanged(request.actions_path, actions_stamp);  // before hours of search on other data
  clock.start("knn");
  KnnParams knn = config.knn;
  knn.metric = config.preprocess.metric;
  KnnReport knn_report;
  KnnGraph graph;
  try {
    graph = backend->knn_graph_of(loaded, knn, &knn_report, hook);
  } catch (const StopRequested&) {
    throw StopRequested(saved_state());  // the same words whichever stage stopped
  }
  clock.stop();
  stop_point();

  double recall = std::numeric_limits<double>::quiet_NaN();
  int64_t recall_rows = 0;
  // Approximate modes only, which only the CPU backend runs (its rows are on the host).
  if (knn_report.mode_used != KnnMode::exact && config.recall.sample_rows > 0 && assessed > 1 &&
      loaded.on_host()) {
    clock.start("recall");
    recall_rows = std::min(config.recall.sample_rows, assessed);
    recall = knn_recall_on_sample(loaded.matrix.view(), graph, knn.metric, recall_rows, knn.seed);
    clock.stop();
    log_info(fmt::format("kNN {} recall@{} = {:.4f} on {} sampled rows against exact search",
                         to_string(knn_report.mode_used), graph.k, recall, recall_rows));
    stop_point();
  }
  const bool hierarchy = config.clusters.method == "hierarchy";
  const bool cohesion_test = config.clusters.min_cohesion > 0;
  if ((hierarchy || cohesion_test) && !loaded.on_host() && loaded.device) {
    // The coordination and cohesion tests read the rows on the host: fetch them once.
    loaded.matrix = Matrix(loaded.rows, loaded.cols);
    loaded.device->download(loaded.matrix.values.data());
  }
  if (!hierarchy && !cohesion_test) Matrix().values.swap(loaded.matrix.values);
  loaded.device.reset();
  // The columns that carry information: constant ones (scale 0) are all zeros after
  // standardisation and would only dilute one half of the cohesion test.
  std::vector<int32_t> informative_columns;
  for (int64_t j = 0; j < loaded.cols; ++j) {
    if (loaded.stats.scale.empty() || loaded.stats.scale[static_cast<size_t>(j)] > 0) {
      informative_columns.push_back(static_cast<int32_t>(j));
    }
  }

  clock.start("groups");
  std::vector<float> distances = edge_distances(graph, config.preprocess.metric, squared_norms);
  DensityModel model = fit_density_model(graph, distances, config.preprocess.metric, config);
  DupGroups dups =
      find_duplicate_groups(*backend, graph, distances, config.preprocess.metric, model);
  Clusters clusters =
      hierarchy
          ? find_hierarchy_clusters(*backend, graph, distances, loaded.matrix.view(), model, config)
          : find_clusters(*backend, graph, distances, config.preprocess.metric, model, config);
  std::vector<float>().swap(distances);  // not needed for the output: free before it is built
  clock.stop();
  if (cohesion_test) {
    clock.start("cohesion");
    apply_cohesion_test(*backend, clusters, loaded.matrix.view(), config.preprocess.metric,
                        informative_columns, config);
    clock.stop();
    log_info(fmt::format(
        "cohesion test: {} clusters kept, {} not a network in both halves of the "
        "features (min_cohesion {})",
        clusters.clusters.size(), clusters.rejected_not_cohesive, config.clusters.min_cohesion));
  }
  // Each cluster's feature profile, while the rows are on the host (they are whenever a
  // cluster test reads them, as by default).
  std::vector<float> feature_spread;
  if (loaded.on_host() && !clusters.clusters.empty()) {
    feature_spread = feature_spread_ratios(loaded.matrix.view(), clusters.label,
                                           static_cast<int64_t>(clusters.clusters.size()));
  }
  Matrix().values.swap(loaded.matrix.values);
  stop_point();

  // Lockstep campaigns from the action log, on the same backend.
  std::unique_ptr<ActionIndex> action_index;
  std::unique_ptr<LockstepResult> lockstep;
  if (actions) {
    clock.start("lockstep");
    action_index =
        std::make_unique<ActionIndex>(build_action_index(*actions, config.lockstep.block_rows));
    lockstep = std::make_unique<LockstepResult>(find_campaigns(*backend, *action_index, config));
    clock.stop();
    stop_point();
  }

  // Back to input rows: -2 marks rows that were not assessed.
  clock.start("write");
  const int64_t n = info.rows;
  std::vector<int64_t> cluster_label(static_cast<size_t>(n), -2),
      dup_label(static_cast<size_t>(n), -2);
  std::vector<float> score(static_cast<size_t>(n), std::numeric_limits<float>::quiet_NaN());
  // The evidence an explanation needs per account: its core distance, whether it was a core
  // account and its density cluster before the tests (method "eps").
  std::vector<float> core_distance(static_cast<size_t>(n), std::numeric_limits<float>::quiet_NaN());
  const bool have_candidates = !clusters.candidate_label.empty();
  std::vector<int64_t> candidate_label(have_candidates ? static_cast<size_t>(n) : 0, -2);
  std::vector<int8_t> core_flag(have_candidates ? static_cast<size_t>(n) : 0, -1);
  int64_t flagged = 0;
  for (int64_t r = 0; r < assessed; ++r) {
    size_t row = static_cast<size_t>(loaded.input_row[static_cast<size_t>(r)]);
    cluster_label[row] = clusters.label[static_cast<size_t>(r)];
    dup_label[row] = dups.label[static_cast<size_t>(r)];
    score[row] = static_cast<float>(model.anomaly(model.core_distance[static_cast<size_t>(r)]));
    core_distance[row] = model.core_distance[static_cast<size_t>(r)];
    if (have_candidates) {
      candidate_label[row] = clusters.candidate_label[static_cast<size_t>(r)];
      core_flag[row] = static_cast<int8_t>(clusters.core[static_cast<size_t>(r)]);
    }
  }
  // Campaign labels by account id; accounts of the log without features are counted.
  std::vector<int64_t> campaign_label(static_cast<size_t>(lockstep ? n : 0), -1);
  int64_t log_accounts_matched = 0;
  if (lockstep) {
    const std::vector<int64_t>& log_ids = action_index->account_ids;
    for (size_t row = 0; row < campaign_label.size(); ++row) {
      const auto it = std::lower_bound(log_ids.begin(), log_ids.end(), ids[row]);
      if (it == log_ids.end() || *it != ids[row]) continue;
      ++log_accounts_matched;
      campaign_label[row] = lockstep->campaign[static_cast<size_t>(it - log_ids.begin())];
    }
  }
  for (size_t row = 0; row < static_cast<size_t>(n); ++row) {
    flagged +=
        cluster_label[row] >= 0 || dup_label[row] >= 0 || (lockstep && campaign_label[row] >= 0);
  }
  // Stable ids (carried over from --previous) and the decisions; the group tables follow.
  SweepOutcome outcome =
      settle_accounts(ids, cluster_label, static_cast<int64_t>(clusters.clusters.size()), dup_label,
                      static_cast<int64_t>(dups.groups.size()), campaign_label,
                      lockstep ? static_cast<int64_t>(lockstep->campaigns.size()) : 0,
                      previous.get(), protected_ids, cleared_ids);
  for (size_t i = 0; i < clusters.clusters.size(); ++i)
    clusters.clusters[i].id = outcome.cluster.id[i];
  for (size_t i = 0; i < dups.groups.size(); ++i) dups.groups[i].id = outcome.dup_group.id[i];
  if (lockstep) {
    for (size_t i = 0; i < lockstep->campaigns.size(); ++i) {
      lockstep->campaigns[i].id = outcome.campaign.id[i];
    }
    for (int64_t& c : lockstep->campaign) {
      if (c >= 0) c = outcome.campaign.id[static_cast<size_t>(c)];
    }
  }
  if (!request.protect_path.empty() || !request.cleared_path.empty()) {
    log_info(fmt::format(
        "decisions: {} flagged, {} held for review ({} groups in the review queue; "
        "{} of {} protected and {} of {} cleared accounts in this input)",
        outcome.decisions.flagged, outcome.decisions.held, outcome.decisions.review_queue.size(),
        outcome.decisions.protected_found, outcome.decisions.protected_listed,
        outcome.decisions.cleared_found, outcome.decisions.cleared_listed));
  }
  // The alarm: a sweep that would flag an unusually large share of its accounts says so plainly,
  // with the features whose scale is most extreme (the usual cause: a broken or rescaled feature).
  const double flagged_share = assessed > 0 ? static_cast<double>(flagged) / assessed : 0.0;
  const bool alarm = flagged_share > config.output.alarm_flagged_share;
  nlohmann::json extreme_features = nlohmann::json::array();
  if (alarm) {
    std::vector<size_t> order(loaded.stats.extreme.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return loaded.stats.extreme[a] > loaded.stats.extreme[b];
    });
    std::string named;
    for (size_t i = 0; i < order.size() && i < 3; ++i) {
      extreme_features.push_back(
          {{"feature", order[i]}, {"max_deviations", loaded.stats.extreme[order[i]]}});
      named += fmt::format("{}feature {} ({:.3g} deviations)", i ? ", " : "", order[i],
                           loaded.stats.extreme[order[i]]);
    }
    log_info(fmt::format(
        "ALARM: this sweep flags {:.1f}% of the assessed accounts, over output.alarm_flagged_share "
        "{:.1f}%: check the input before acting on it{}{}",
        100 * flagged_share, 100 * config.output.alarm_flagged_share,
        named.empty() ? "" : "; the features whose scale is most extreme: ", named));
  }
  auto id_of = [&](int64_t assessed_row) {
    return ids[static_cast<size_t>(loaded.input_row[static_cast<size_t>(assessed_row)])];
  };

  nlohmann::json model_json = {{"min_pts", model.min_pts},
                               {"genuine_log_core_distance", model.genuine_log_mode},
                               {"genuine_core_distance", std::exp(model.genuine_log_mode)},
                               {"genuine_log_spread", model.genuine_log_spread},
                               {"valley_found", model.valley_found},
                               {"eps_distance", model.eps},
                               {"eps_rule", model.eps_rule},
                               {"duplicate_distance", model.duplicate_distance},
                               {"duplicate_rule", model.duplicate_rule}};
  if (config.preprocess.metric != Metric::inner_product) {
    model_json["eps_similarity"] = similarity_at_distance(config.preprocess.metric, model.eps);
    model_json["duplicate_similarity"] =
        similarity_at_distance(config.preprocess.metric, model.duplicate_distance);
  }
  if (model.valley_found) model_json["valley_core_distance"] = std::exp(model.valley_log);
  // The cohesion test's rule and its split, so that a reviewer can redo it.
  model_json["min_cohesion"] = config.clusters.min_cohesion;
  model_json["cohesion_halves"] =
      clusters.halves.usable() ? nlohmann::json(clusters.halves.columns) : nlohmann::json(nullptr);

  nlohmann::json knn_json = {{"mode", to_string(knn_report.mode_used)},
                             {"k", graph.k},
                             {"metric", to_string(config.preprocess.metric)}};
  if (knn_report.mode_used == KnnMode::ivf) {
    knn_json["ivf_nlist"] = knn_report.ivf_nlist;
    knn_json["ivf_nprobe"] = knn_report.ivf_nprobe;
  }
  if (recall_rows > 0) {
    knn_json["recall_at_k"] = recall;
    knn_json["recall_sample_rows"] = recall_rows;
  }

  H5Writer writer(request.output_path, config.output.overwrite);
  writer.write_int64("/accounts/id", ids);
  writer.write_int64("/labels/cluster", cluster_label);
  writer.write_int64("/labels/dup_group", dup_label);
  writer.write_float32("/labels/score", score);
  writer.write_int8("/labels/decision", outcome.decisions.decision);
  writer.write_float32("/labels/core_distance", core_distance);
  if (have_candidates) {
    writer.write_int64("/labels/candidate", candidate_label);
    writer.write_int8("/labels/core", core_flag);
    write_candidates(writer, clusters.candidate_table, outcome.cluster);
  }
  write_review_queue(writer, outcome.decisions);
  if (lockstep) {
    writer.write_int64("/labels/campaign", campaign_label);
    write_campaigns(writer, *action_index, *lockstep);
  }
  {
    // The features' names, when the input has them (an imported table), for the profiles.
    std::vector<std::string> feature_names;
    const H5Reader input(request.input_path);
    if (input.has("/features/names")) feature_names = input.read_strings("/features/names");
    write_cluster_table(writer, clusters.clusters, feature_spread, loaded.cols, feature_names,
                        id_of);
  }
  write_dup_group_table(writer, dups.groups, id_of);
  if (hierarchy) write_hierarchy(writer, clusters, loaded.input_row, n);
  if (config.output.write_graph) {
    write_graph_by_input_row(writer, graph, loaded.input_row, n, config.preprocess.metric);
  }
  clock.stop();
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  nlohmann::json summary;
  summary["unfriend_version"] = UNFRIEND_VERSION;
  summary["input"] = {
      {"path", request.input_path},
      {"rows", info.rows},
      {"features", info.cols},
      {"dtype", info.dtype},
      {"read_mb_per_s", read_seconds > 0 ? loaded.bytes_read / 1e6 / read_seconds : 0}};
  summary["output"] = {{"path", request.output_path},
                       {"summary", summary_path_for(request.output_path)}};
  summary["config_source"] = request.config_source;
  summary["config"] = config_to_json(config);
  summary["backend"] = backend->name();
  summary["knn"] = knn_json;
  summary["prepare"] = {
      {"where", prepared_where}, {"seconds", loaded.seconds}, {"stages", prepare_stages}};
  summary["thresholds"] = model_json;
  int64_t cluster_accounts = 0, dup_accounts = 0;
  for (const auto& c : clusters.clusters) cluster_accounts += c.size;
  for (const auto& g : dups.groups) dup_accounts += g.size;
  summary["counts"] = {
      {"accounts", info.rows},
      {"assessed", assessed},
      {"not_assessed", static_cast<int64_t>(loaded.invalid_rows.size())},
      {"constant_features", degenerate.constant_features},
      {"informative_features", degenerate.informative_features},
      {"distinct_rows", degenerate.distinct_rows < 0 ? nlohmann::json(nullptr)
                                                     : nlohmann::json(degenerate.distinct_rows)},
      {"flagged", flagged},
      {"clusters", clusters.clusters.size()},
      {"cluster_accounts", cluster_accounts},
      {"candidate_clusters", clusters.candidates},
      {"density_clusters_joined_to_one_they_touch", clusters.joined_candidates},
      {"rejected_not_tighter_than_surroundings", clusters.rejected_loose},
      {"rejected_too_small", clusters.rejected_small},
      {"rejected_not_cohesive", clusters.rejected_not_cohesive},
      {"tree_clusters", clusters.tree_clusters},
      {"tree_clusters_passing_test", clusters.tree_clusters_passing},
      {"dup_groups", dups.groups.size()},
      {"dup_accounts", dup_accounts}};
  const std::vector<TopCluster> top =
      top_clusters(clusters.clusters, config.output.top_clusters, id_of);
  summary["top_clusters"] = top_clusters_json(top);
  {
    const Decisions& d = outcome.decisions;
    nlohmann::json queue = nlohmann::json::array();
    for (const ReviewItem& item : d.review_queue) {
      if (queue.size() >= 1000) break;  // all of them are in /review/* of the output
      queue.push_back({{"kind", item.kind},
                       {"id", item.id},
                       {"size", item.size},
                       {"protected_members", item.protected_members},
                       {"cleared_members", item.cleared_members}});
    }
    summary["decisions"] = {
        {"flagged", d.flagged},
        {"held_for_review", d.held},
        {"review_groups", d.review_queue.size()},
        {"protect_list", request.protect_path.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(request.protect_path)},
        {"protected_listed", d.protected_listed},
        {"protected_in_input", d.protected_found},
        {"protected_in_evidence", d.protected_in_evidence},
        {"cleared_list", request.cleared_path.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(request.cleared_path)},
        {"cleared_listed", d.cleared_listed},
        {"cleared_in_input", d.cleared_found},
        {"cleared_in_evidence", d.cleared_in_evidence}};
    summary["review_queue"] = queue;
    summary["next_ids"] = outcome.next_ids;
    if (!outcome.diff.is_null()) summary["diff"] = outcome.diff;
  }
  if (lockstep) {
    nlohmann::json ls = lockstep_summary(*action_index, *lockstep, config, request.actions_path,
                                         config.output.top_clusters);
    int64_t campaign_accounts = 0;
    for (int64_t c : campaign_label) campaign_accounts += c >= 0;
    ls["log_accounts_with_features"] = log_accounts_matched;
    ls["log_accounts_without_features"] = lockstep->accounts - log_accounts_matched;
    ls["flagged_with_features"] = campaign_accounts;
    summary["lockstep"] = ls;
    summary["counts"]["campaigns"] = lockstep->campaigns.size();
    summary["counts"]["campaign_accounts"] = campaign_accounts;
  }
  summary["alarm"] = {{"tripped", alarm},
                      {"flagged_share", flagged_share},
                      {"limit", config.output.alarm_flagged_share},
                      {"extreme_features", extreme_features}};
  summary["memory_plan"] = {{"peak_bytes", memory.peak().total()},
                            {"peak_stage", memory.peak().name},
                            {"limit_bytes", config.run.max_memory_bytes}};
  if (work) {
    summary["checkpoint"] = {{"work_dir", work->dir()},
                             {"resumed", work->resumed()},
                             {"units", work->units()},
                             {"units_read_back", work->units_loaded()}};
  }
  nlohmann::json stage_json = clock.json();
  summary["stage_seconds"] = stage_json;
  summary["wall_seconds"] = wall;

  writer.set_attribute("/", "unfriend_version", std::string(UNFRIEND_VERSION));
  writer.set_attribute("/", "input_path", request.input_path);
  writer.set_attribute("/", "input_rows", info.rows);
  writer.set_attribute("/", "input_features", info.cols);
  writer.set_attribute("/", "config", config_to_json(config).dump());
  writer.set_attribute("/", "config_source", request.config_source);
  writer.set_attribute("/", "backend", backend->name());
  writer.set_attribute("/", "knn", knn_json.dump());
  writer.set_attribute("/", "thresholds", model_json.dump());
  writer.set_attribute("/", "next_ids", outcome.next_ids.dump());
  if (!outcome.diff.is_null()) writer.set_attribute("/", "diff", outcome.diff.dump());
  writer.set_attribute("/", "stage_seconds", stage_json.dump());
  stop_point();
  // Both outputs or neither: the summary is written and synced under a temporary name first,
  // the HDF5 file is committed (synced, renamed), then the summary is renamed into place. A
  // failure removes whatever this run put down, so nothing partial sits under a final name.
  const std::string summary_path = summary_path_for(request.output_path);
  // The labels are of the file that was opened, or nothing is written.
  check_unchanged(request.input_path, input_stamp);
  const std::string summary_temp = write_synced_temp(summary_path, summary.dump(2) + "\n");
  try {
    writer.commit();
  } catch (...) {
    std::remove(summary_temp.c_str());
    throw;
  }
  try {
    rename_synced(summary_temp, summary_path);
  } catch (...) {
    std::remove(request.output_path.c_str());
    throw;
  }
  // Only now is the checkpoint of no further use.
  if (work) work->remove();

  return SweepSummary{summary, sweep_text(summary, clock.times())};
}

}  // namespace unfriend
