#include "host/pipeline/memory_plan.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "host/core/error.h"

namespace unfriend {

namespace {

// Candidates searched per row beyond k (self and the rescoring margin, see
// host/cpu/knn_search_common.cpp).
constexpr int kSearchExtra = 13;
// Bytes per kept candidate of the fused kernel's lists (float score, int32 row), and per row of
// the lists (count, threshold): host/cpu/top_candidates.h.
constexpr double kCandidateBytes = 8;
constexpr double kCandidateRowBytes = 8;
// The columns of a score tile packed for the kernel: about 256 KiB per thread
// (TileScorer::preferred_block_rows).
constexpr double kTilePanelBytes = 256.0 * 1024;
// Blocks are never shrunk below this many rows: smaller ones cost far more time than memory.
constexpr int64_t kMinBlockRows = 256;
// What the process holds before any data: code, FAISS, HDF5 and OpenBLAS with its per-thread
// buffers (measured: 22 MB resident for a 500-row sweep on two threads).
constexpr double kRuntimeBytes = 24.0 * 1024 * 1024;
// Allocator slack per stage: a fixed part (the arenas of the few threads that allocate: the
// reader and the OpenMP workers of a two-core machine), and a share of what the stage holds.
constexpr double kArenaSlackBytes = 8.0 * 1024 * 1024;
constexpr double kHeapSlackShare = 0.04;

double candidate_lists(double rows, double width) {
  return rows * (width * kCandidateBytes + kCandidateRowBytes);
}

// An exact search of `queries` rows against `n` (exact_knn_of_rows): the gathered queries, a
// candidate list per query for each thread and one to merge them into, the candidates handed
// to assembly, and a packed panel per thread.
double exact_of_rows(double queries, double d, double k_search, double threads) {
  return queries * d * 4 + (threads + 1) * candidate_lists(queries, k_search) +
         queries * k_search * 8 + threads * kTilePanelBytes;
}

}  // namespace

double MemoryStage::total() const {
  double sum = 0;
  for (const auto& part : parts) sum += part.second;
  return sum;
}

std::string MemoryStage::describe() const {
  std::vector<std::pair<std::string, double>> sorted = parts;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& part : sorted) {
    if (part.second <= 0) continue;
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {}", part.first, human_bytes(part.second));
  }
  return text;
}

const MemoryStage& MemoryPlan::peak() const {
  return *std::max_element(stages.begin(), stages.end(),
                           [](const auto& a, const auto& b) { return a.total() < b.total(); });
}

std::string human_bytes(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024) {
    return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
  }
  return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
}

MemoryPlan plan_memory(const MemoryPlanInput& in) {
  const double n = static_cast<double>(std::max<int64_t>(in.rows, 0));
  const double d = static_cast<double>(std::max<int64_t>(in.cols, 0));
  const double k = in.k;
  const double k_search = std::min(k + kSearchExtra, n);
  const double threads = std::max(1, in.threads);
  const double read_block = static_cast<double>(std::min(in.read_block_rows, in.rows));
  const double query_block = static_cast<double>(std::min(in.query_block_rows, in.rows));

  // Held from the first stage to the last.
  const double ids = n * 8;
  const double row_map = n * 8;  // assessed row -> input row
  const double features = n * d * 4;
  const double graph = n * k * (8 + 4);  // neighbours int64 + similarity float32
  const double ip_norms = in.metric == Metric::inner_product ? n * 4 : 0;
  // A unit being saved is held twice: the unit copied out of the graph and its file image.
  const double unit_copy = in.checkpoint ? 2 * query_block * (k * 12 + 8) : 0;

  MemoryPlan plan;
  plan.read_block_rows = in.read_block_rows;
  plan.query_block_rows = in.query_block_rows;
  plan.stages.reserve(6);  // references to stages stay valid while later ones are added
  auto stage = [&](const std::string& name,
                   std::vector<std::pair<std::string, double>> parts) -> MemoryStage& {
    parts.insert(parts.begin(),
                 {{"program and libraries", kRuntimeBytes}, {"ids", ids}, {"row map", row_map}});
    plan.stages.push_back(MemoryStage{name, std::move(parts)});
    return plan.stages.back();
  };

  // Read blocks in flight: the reader thread fills one while the previous is checked (host,
  // 2 slots) or copied to the device (GPU, 3 pinned slots).
  const double read_slots = in.knn_on_device ? 3 : 2;
  stage("read", {{"features", features}, {"read blocks", read_slots * read_block * d * 4}});
  stage("preprocess", {{"features", features}, {"squared norms", ip_norms}});
  MemoryStage& knn =
      stage("knn", {{"features", features}, {"graph", graph}, {"squared norms", ip_norms}});
  if (in.knn_on_device) {
    knn.parts.push_back({"device search staging", in.device_staging_bytes});
    knn.parts.push_back({"checkpoint unit", unit_copy});
  } else if (in.mode == KnnMode::ivf) {
    const double nlist = std::max(1, in.ivf_nlist);
    const double width = std::min(nlist, 384.0);
    knn.parts.push_back({"ivf partition", n * 16 + nlist * width * 12 + (nlist + 1) * 8});
    // The rows regrouped list by list for the join (and their norms for l2).
    knn.parts.push_back(
        {"rows grouped by list", n * d * 4 + (in.metric == Metric::l2 ? n * 4 : 0)});
    // k-means first (the sample, centroids, their double sums, each sample row's nearest list),
    // then every row's nearest list, then the join (per thread: a list's candidate lists, the
    // candidates mapped back, its finished rows, a packed panel). Lists are uneven: planned at
    // twice the average size.
    const double train = static_cast<double>(std::min(in.ivf_train_rows, in.rows));
    const double kmeans = train * d * 4 + nlist * d * (4 + 8) + candidate_lists(train, 1) +
                          train * 8 + candidate_lists(nlist, width) + nlist * width * 8;
    const double assign = candidate_lists(n, 1);
    const double list_rows = std::min(n, 2 * std::ceil(n / nlist));
    // A join item is a run of lists of at least 2,048 rows (kJoinChunkRows): its rows'
    // candidate lists, their own nearest lists (and the rows grouped by the list they probe),
    // the candidates mapped back, its finished rows, a packed panel.
    const double item_rows = std::min(n, 2048 + list_rows);
    const double probes = std::min(width, in.ivf_nprobe > 0 ? in.ivf_nprobe : 64.0);
    const double per_thread = candidate_lists(item_rows, k_search) +
                              candidate_lists(item_rows, probes) + item_rows * probes * 16 +
                              item_rows * k_search * 8 + item_rows * k * 12 + kTilePanelBytes;
    knn.parts.push_back(
        {"ivf k-means / join buffers", std::max({kmeans, assign, threads * per_thread})});
    knn.parts.push_back(
        {"checkpoint unit", in.checkpoint ? 2 * (query_block + item_rows) * (k * 12 + 8) : 0});
  } else if (in.mode == KnnMode::hnsw) {
    // FAISS's copy of the rows and the links (2M on level 0, about one more above, offsets and
    // levels), planned at 1.5x: both grow by vector reallocation as the rows are added.
    const double m = in.hnsw_m;
    knn.parts.push_back({"hnsw index", 1.5 * (n * d * 4 + n * ((2 * m + 1) * 4 + 16))});
    knn.parts.push_back({"hnsw visited tables", threads * n});
    knn.parts.push_back({"query block", query_block * k_search * 12});
    knn.parts.push_back({"checkpoint unit", unit_copy});
  } else {
    // Every row's candidate lists at once (a tile serves both of its blocks' rows, so no row is
    // finished before its band has met all others), a packed panel per thread, a band's
    // candidates for assembly, and the float scan an ambiguous cut makes (per thread, a score
    // and a norm per row).
    knn.parts.push_back({"squared norms (l2)", in.metric == Metric::l2 ? n * 4 : 0});
    knn.parts.push_back({"candidate lists", candidate_lists(n, k_search)});
    knn.parts.push_back({"tile panels", threads * kTilePanelBytes});
    knn.parts.push_back({"band assembly", query_block * k_search * 8 + threads * n * 8});
    knn.parts.push_back({"checkpoint unit", unit_copy});
  }

  if (!in.knn_on_device && in.mode != KnnMode::exact && in.recall_rows > 0) {
    const double r = static_cast<double>(std::min(in.recall_rows, in.rows));
    stage("recall", {{"features", features},
                     {"graph", graph},
                     {"squared norms", ip_norms},
                     {"recall sample",
                      exact_of_rows(std::min(r, query_block), d, k_search, threads) + r * k * 12},
                     {"cut scans", threads * n * 8}});
  }

  // The features are freed before the graph stages unless a cluster test reads them.
  const double kept_features = in.features_after_knn ? features : 0;
  const double distances = n * k * 4;
  stage("groups",
        {{"features (for the cluster tests)", kept_features},
         {"graph", graph},
         {"squared norms", ip_norms},
         {"edge distances", distances},
         // core distances, and their sorted logs while the density model is fit
         {"density model", n * 8 * 3},
         // union-find, component labels, members, duplicate and cluster labels
         {"labels", n * 8 * 6},
         {"distance graph (inner_product)", in.metric == Metric::inner_product ? graph : 0}});
  // The cohesion test: one half of the features at a time, re-normalised, searched by the
  // sampled members (exact_of_rows; above knn.auto_exact_max_rows a partition of the half).
  if (in.cohesion_queries > 0) {
    // Every clustered row may be sampled: at most all rows. The queries go in chunks of
    // query_block_rows, each searched for cohesion_neighbors neighbours.
    const double q = std::min(static_cast<double>(in.cohesion_queries), n);
    const double chunk = std::min(q, query_block);
    const double neighbours = std::min<double>(in.cohesion_neighbors, std::max(1.0, n - 1));
    const double search_width = std::min(neighbours + kSearchExtra, n);
    const double half = std::ceil(d / 2);
    const double partitioned =
        n * half * 4 + n * 16 + std::sqrt(n) * half * 12 + 32 * std::sqrt(n) * half * 4;
    stage("cohesion",
          {{"features", kept_features},
           {"graph", graph},
           {"labels", n * 8 * 3},
           {"half of the features", n * half * 4},
           {"members, queries and neighbours", n * 8 + q * (16 + neighbours * 12)},
           // exact: a float scan per thread for an ambiguous cut; above the
           // limit: the partition of the half and its grouped copy
           {"search", exact_of_rows(chunk, half, search_width, threads) +
                          (in.rows > in.exact_max_rows ? partitioned : threads * n * 8)}});
  }
  // The edge distances are freed before the output columns are built.
  stage("write", {{"graph", graph},
                  {"density model", n * 8},
                  {"labels", n * 8 * 2},
                  {"output columns", n * (8 + 8 + 4)},
                  {"output graph", in.write_graph ? graph : 0}});
  // What the heap holds beyond what is asked of it: freed blocks kept in each thread's arena
  // (a thread's frees are reused by that thread only) and rounding. Measured on 120K x 32 IVF:
  // a 130.5 MiB knn stage peaked at 134-135 MiB resident.
  for (MemoryStage& planned : plan.stages) {
    planned.parts.push_back(
        {"allocator slack", kArenaSlackBytes + kHeapSlackShare * planned.total()});
  }
  return plan;
}

MemoryPlan fit_memory_plan(const MemoryPlanInput& input, int64_t limit_bytes,
                           const std::string& file) {
  MemoryPlanInput in = input;
  const double limit = static_cast<double>(limit_bytes);
  const int64_t floor_rows = std::min<int64_t>(kMinBlockRows, std::max<int64_t>(in.rows, 1));
  for (;;) {
    MemoryPlan plan = plan_memory(in);
    bool shrunk = false;
    for (const MemoryStage& stage : plan.stages) {
      if (stage.total() <= limit) continue;
      if (stage.name == "read" && in.read_block_rows > floor_rows) {
        in.read_block_rows = std::max(floor_rows, in.read_block_rows / 2);
        shrunk = true;
      } else if ((stage.name == "knn" || stage.name == "cohesion") &&
                 in.query_block_rows > floor_rows) {
        in.query_block_rows = std::max(floor_rows, in.query_block_rows / 2);
        shrunk = true;
      }
    }
    if (plan.peak().total() <= limit) return plan;
    if (!shrunk) {
      const MemoryStage& peak = plan.peak();
      throw InputError(fmt::format(
          "{}: {} rows x {} features need about {} of host memory at the {} stage ({}), over "
          "--max-memory {}; raise --max-memory or lower knn.k",
          file, in.rows, in.cols, human_bytes(peak.total()), peak.name, peak.describe(),
          human_bytes(limit)));
    }
  }
}

int64_t resident_bytes_now() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long long pages_total = 0, pages_resident = 0;
  const int read = std::fscanf(f, "%lld %lld", &pages_total, &pages_resident);
  std::fclose(f);
  if (read != 2) return 0;
  return static_cast<int64_t>(pages_resident) * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace unfriend
