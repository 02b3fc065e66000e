#include "host/cpu/ivf_knn.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>

#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/kmeans.h"
#include "host/cpu/knn_rows.h"
#include "host/cpu/knn_search_common.h"
#include "host/cpu/knn_units.h"
#include "host/cpu/reference_knn.h"
#include "host/cpu/row_sample.h"
#include "host/cpu/score_tile.h"
#include "host/cpu/top_candidates.h"

namespace unfriend {

namespace {

// The IVF partition: every row lives in the list of its nearest centroid and probes its own
// `nprobe` nearest lists (the standard IVF query). Used as a join, the rows of a run of lists
// that probe one list meet its members as one tile of the fused kernel, so the distance work is
// tile-shaped instead of one scan per query.
struct IvfPartition {
  int nlist = 0;
  int width = 0;                       // nearest lists kept per list (the largest nprobe)
  std::vector<int64_t> list_of_row;    // row -> list
  std::vector<int64_t> offsets;        // list l: members[offsets[l], offsets[l+1])
  std::vector<int64_t> members;        // rows, grouped by list, ascending within a list
  std::vector<int64_t> nearest_lists;  // [nlist x width], the list itself first
  std::vector<float> centroids;        // [nlist x dims]
  std::vector<float> centroid_norms;   // squared, l2 only
};

// K-means rounds of the partition (trained on 40 rows per list, FAISS's 39 and one): it only has to
// group neighbours, and the nprobe tuning measures how well it does, so 10 (FAISS's default is 25)
// - k-means was most of the IVF search's time.
constexpr int kKmeansIterations = 10;

IvfPartition build_partition(MatrixView data, const KnnParams& params, const IvfSettings& ivf) {
  const int64_t dims = data.cols;
  std::vector<int64_t> train = sample_rows(data.rows, ivf.train_rows, params.seed);
  std::vector<float> centroids;
  {
    std::vector<float> sample(train.size() * static_cast<size_t>(dims));
    for (size_t i = 0; i < train.size(); ++i) {
      std::copy(data.row(train[i]), data.row(train[i]) + dims,
                sample.data() + i * static_cast<size_t>(dims));
    }
    log_info(fmt::format("knn: ivf k-means, {} lists on {} rows", ivf.nlist, train.size()));
    // Unit rows are best split by direction: keep the centroids on the sphere as well.
    centroids = train_kmeans(MatrixView{sample.data(), static_cast<int64_t>(train.size()), dims},
                             ivf.nlist, kKmeansIterations, params.metric == Metric::cosine,
                             params.metric, params.seed);
  }
  const MatrixView centroid_view{centroids.data(), ivf.nlist, dims};

  IvfPartition part;
  part.nlist = ivf.nlist;
  part.list_of_row = nearest_centroids(data, centroid_view, params.metric);
  part.offsets.assign(static_cast<size_t>(ivf.nlist) + 1, 0);
  for (int64_t l : part.list_of_row) ++part.offsets[static_cast<size_t>(l) + 1];
  for (int l = 0; l < ivf.nlist; ++l) part.offsets[l + 1] += part.offsets[l];
  part.members.resize(static_cast<size_t>(data.rows));
  std::vector<int64_t> cursor(part.offsets.begin(), part.offsets.end() - 1);
  for (int64_t row = 0; row < data.rows; ++row) {
    part.members[static_cast<size_t>(cursor[static_cast<size_t>(part.list_of_row[row])]++)] = row;
  }
  // The largest nprobe the tuning may pick: the neighbourhood of a list rarely needs more.
  part.width = std::min(ivf.nlist, 384);
  part.nearest_lists = nearest_centroid_lists(centroid_view, part.width, params.metric);
  part.centroids = std::move(centroids);
  if (params.metric == Metric::l2) {
    part.centroid_norms = tile_squared_norms(MatrixView{part.centroids.data(), ivf.nlist, dims});
  }
  return part;
}

// The tuning sample: seeded rows and their exact neighbours, against which the join's nprobe is
// chosen.
struct TuningSample {
  std::vector<int64_t> rows;
  KnnGraph exact;
  int k = 0;
};

TuningSample tuning_sample(MatrixView data, const KnnParams& params) {
  TuningSample sample;
  sample.rows = sample_rows(data.rows, std::min<int64_t>(data.rows, 400),
                            params.seed ^ 0x9e3779b97f4a7c15ULL);
  sample.k = static_cast<int>(std::min<int64_t>(params.k, data.rows - 1));
  if (sample.k >= 1) sample.exact = exact_knn_of_rows(data, sample.rows, sample.k, params.metric);
  return sample;
}

// Each row's own `width` nearest lists (by the score its assignment used, ties to the lower
// list), best first: [rows x width] list ids, -1 past the lists there are.
std::vector<int64_t> own_nearest_lists(MatrixView rows, const IvfPartition& part, int width,
                                       TileScorer& scorer) {
  TopCandidates own(rows.rows, width);
  for (int64_t first = 0; first < rows.rows; first += 1024) {
    scorer.score(ScoreTile{first, std::min(rows.rows, first + 1024), 0, part.nlist, false, 0}, own);
  }
  std::vector<int64_t> out(static_cast<size_t>(rows.rows * width), -1);
  std::vector<Candidate> sorted;
  for (int64_t i = 0; i < rows.rows; ++i) {
    int count = 0;
    const Candidate* kept = own.kept(i, &count);
    sorted.assign(kept, kept + count);
    std::sort(sorted.begin(), sorted.end(), candidate_before);
    for (int j = 0; j < count; ++j)
      out[static_cast<size_t>(i * width + j)] = sorted[static_cast<size_t>(j)].row;
  }
  return out;
}

// Smallest nprobe at which the sample finds `target` of its exact neighbours. A row probes its
// own nearest lists, and a true neighbour j of row i is found exactly when the list of j is
// among the first nprobe lists of i (a row among the top k of all rows is among the top k of
// any subset holding it), so the recall at every nprobe follows from the rank of each true
// neighbour's list: one exact search of the sample, no trial searches.
int tune_join_nprobe(MatrixView data, const IvfPartition& part, const TuningSample& sample,
                     Metric metric, double target) {
  if (sample.k < 1) return 1;
  const int64_t dims = data.cols;
  std::vector<float> gathered(sample.rows.size() * static_cast<size_t>(dims));
  for (size_t q = 0; q < sample.rows.size(); ++q) {
    std::copy(data.row(sample.rows[q]), data.row(sample.rows[q]) + dims,
              gathered.data() + q * dims);
  }
  const MatrixView sample_view{gathered.data(), static_cast<int64_t>(sample.rows.size()), dims};
  const MatrixView centroid_view{part.centroids.data(), part.nlist, dims};
  TileScorer scorer(sample_view, centroid_view, metric, nullptr,
                    part.centroid_norms.empty() ? nullptr : part.centroid_norms.data());
  const std::vector<int64_t> own = own_nearest_lists(sample_view, part, part.width, scorer);
  // needed[p]: true neighbours first found at nprobe p + 1 (p = width: not within reach).
  std::vector<int64_t> needed(static_cast<size_t>(part.width) + 1, 0);
  int64_t total = 0;
  for (size_t q = 0; q < sample.rows.size(); ++q) {
    const int64_t* probes = own.data() + q * static_cast<size_t>(part.width);
    const int64_t* truth = sample.exact.neighbors_of(static_cast<int64_t>(q));
    for (int a = 0; a < sample.k; ++a) {
      if (truth[a] < 0) continue;
      const int64_t list = part.list_of_row[static_cast<size_t>(truth[a])];
      const int64_t rank = std::find(probes, probes + part.width, list) - probes;
      ++needed[static_cast<size_t>(rank)];
      ++total;
    }
  }
  auto recall_at = [&](int64_t found) {
    return total > 0 ? static_cast<double>(found) / static_cast<double>(total) : 1.0;
  };
  int64_t found = 0;
  int nprobe = part.width;
  double recall = 1.0;
  std::string curve;  // the curve the choice was made on, at doubling nprobe
  for (int p = 0, next = 1; p < part.width; ++p) {
    found += needed[static_cast<size_t>(p)];
    if (p + 1 == next || p + 1 == part.width) {
      curve += fmt::format("{}{}: {:.3f}", curve.empty() ? "" : ", ", p + 1, recall_at(found));
      next *= 2;
    }
    if (nprobe == part.width && recall_at(found) >= target) {
      nprobe = p + 1;
      recall = recall_at(found);
    }
  }
  if (nprobe == part.width) recall = recall_at(found);
  log_info(
      fmt::format("knn: ivf nprobe={} reaches recall {:.3f} on {} tuning rows (target "
                  "{:.2f}; recall by nprobe {})",
                  nprobe, recall, sample.rows.size(), target, curve));
  return nprobe;
}

// Rows per work item of the join (runs of consecutive lists): a probed list is packed once per
// item and met by every row of the item that probes it.
constexpr int64_t kJoinChunkRows = 2048;

// Checkpoint units of the join: consecutive lists, grouped until a group holds at least
// `target_rows` rows. Unit u is lists [first_list[u], first_list[u + 1]); its rows are the
// members slice of those lists. Every unit holds at least one row (trailing empty lists join
// the last unit).
std::vector<int64_t> group_lists(const IvfPartition& part, int64_t target_rows) {
  std::vector<int64_t> first_list{0};
  int64_t held = 0;
  for (int64_t list = 0; list < part.nlist; ++list) {
    held += part.offsets[static_cast<size_t>(list) + 1] - part.offsets[static_cast<size_t>(list)];
    if (held >= target_rows) {
      first_list.push_back(list + 1);
      held = 0;
    }
  }
  if (held > 0 || first_list.size() == 1) {
    first_list.push_back(part.nlist);
  } else {
    first_list.back() = part.nlist;
  }
  return first_list;
}

}  // namespace

void ivf_join_graph(MatrixView data, const KnnParams& params, IvfSettings& ivf, int k_search,
                    KnnGraph& graph, KnnCheckpoint* checkpoint) {
  IvfPartition part = build_partition(data, params, ivf);
  TuningSample sample;
  if (ivf.tune_nprobe) {
    sample = tuning_sample(data, params);
    ivf.nprobe = tune_join_nprobe(data, part, sample, params.metric, kIvfTargetRecall);
  } else {
    ivf.nprobe = std::min(ivf.nprobe, part.width);
  }
  const int64_t unit_rows = std::min<int64_t>(params.query_block_rows, data.rows);
  const std::vector<int64_t> first_list = group_lists(part, unit_rows);
  const int64_t units = static_cast<int64_t>(first_list.size()) - 1;
  auto unit_rows_of = [&](int64_t u) {
    const int64_t begin = part.offsets[static_cast<size_t>(first_list[static_cast<size_t>(u)])];
    const int64_t end = part.offsets[static_cast<size_t>(first_list[static_cast<size_t>(u) + 1])];
    return std::make_pair(part.members.data() + begin, end - begin);
  };
  if (checkpoint != nullptr) {
    checkpoint->begin(fmt::format("{}, ivf nlist={} nprobe={} trained on {} rows (seed {}), "
                                  "lists grouped to at least {} rows",
                                  knn_plan_prefix("ivf join", data, params, k_search), ivf.nlist,
                                  ivf.nprobe, ivf.train_rows, params.seed, unit_rows),
                      units);
  }

  // Units already saved go straight into the graph; the lists of the others are searched.
  int64_t to_search = 0;
  std::vector<int64_t> unit_of_list(static_cast<size_t>(part.nlist));
  std::vector<int64_t> lists_left(static_cast<size_t>(units), 0);
  // Work items: runs of consecutive lists inside a unit holding at least kJoinChunkRows rows
  // (a list's rows probe many lists each, so a run of lists shares more of its probes), each
  // [first list, end list).
  std::vector<std::pair<int64_t, int64_t>> pending;
  {
    KnnUnit unit;
    for (int64_t u = 0; u < units; ++u) {
      const auto [rows, count] = unit_rows_of(u);
      if (checkpoint != nullptr && checkpoint->load(u, unit) &&
          unit_fits(unit, rows, count, graph)) {
        unit_to_graph(unit, graph);
        continue;
      }
      to_search += count;
      int64_t run_start = first_list[static_cast<size_t>(u)];
      const int64_t unit_end = first_list[static_cast<size_t>(u) + 1];
      for (int64_t list = run_start; list < unit_end; ++list) {
        unit_of_list[static_cast<size_t>(list)] = u;
        const int64_t held = part.offsets[static_cast<size_t>(list) + 1] -
                             part.offsets[static_cast<size_t>(run_start)];
        if (held >= kJoinChunkRows || list + 1 == unit_end) {
          if (held > 0) {
            pending.push_back({run_start, list + 1});
            ++lists_left[static_cast<size_t>(u)];
          }
          run_start = list + 1;
        }
      }
    }
  }
  if (!pending.empty() && checkpoint != nullptr && checkpoint->stop_requested()) {
    throw StopRequested(units_saved(*checkpoint, units));
  }

  // The rows regrouped list by list, so that a list and each list it probes are contiguous
  // slices: a list's members meet each probed list as one tile of the fused kernel
  // (score_tile.h). Its candidates are assembled into finished graph rows right away (self
  // removed, rescored, canonical order): no N x k_search candidate array.
  std::vector<float> grouped(static_cast<size_t>(data.rows * data.cols));
  std::vector<float> grouped_norms;
  for (int64_t m = 0; m < data.rows; ++m) {
    const float* row = data.row(part.members[static_cast<size_t>(m)]);
    std::copy(row, row + data.cols, grouped.data() + m * data.cols);
  }
  const MatrixView grouped_view{grouped.data(), data.rows, data.cols};
  if (params.metric == Metric::l2) grouped_norms = tile_squared_norms(grouped_view);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> lists_met{0};  // lists met per row, summed
  std::exception_ptr failure;
  Progress progress("knn ivf", to_search);
  {
    const int64_t pending_count = static_cast<int64_t>(pending.size());
#pragma omp parallel
    {
      TileScorer scorer(grouped_view, params.metric,
                        grouped_norms.empty() ? nullptr : grouped_norms.data());
      TileScorer to_centroids(
          grouped_view, MatrixView{part.centroids.data(), part.nlist, data.cols}, params.metric,
          nullptr, part.centroid_norms.empty() ? nullptr : part.centroid_norms.data());
      std::vector<int64_t> probed_lists, prober_start, probers, prober_slots;
      std::vector<int64_t> prober_count(static_cast<size_t>(part.nlist), 0);
      std::vector<int64_t> found, neighbors;
      std::vector<float> similarity;
      KnnUnit unit;
#pragma omp for schedule(dynamic, 1)
      for (int64_t p = 0; p < pending_count; ++p) {
        if (stop.load(std::memory_order_relaxed)) continue;
        const int64_t list = pending[static_cast<size_t>(p)].first;
        const int64_t begin = part.offsets[static_cast<size_t>(list)];
        const int64_t count =
            part.offsets[static_cast<size_t>(pending[static_cast<size_t>(p)].second)] - begin;
        const int64_t* members = part.members.data() + begin;
        try {
          // Each member probes its own nprobe nearest lists: the members that probe a list
          // meet its rows as one tile of scattered rows.
          TopCandidates own(count, ivf.nprobe);
          to_centroids.score(ScoreTile{begin, begin + count, 0, part.nlist, false, begin}, own);
          probed_lists.clear();
          for (int64_t i = 0; i < count; ++i) {
            int held = 0;
            const Candidate* kept = own.kept(i, &held);
            for (int j = 0; j < held; ++j) {
              const size_t l = static_cast<size_t>(kept[j].row);
              if (prober_count[l]++ == 0) probed_lists.push_back(kept[j].row);
            }
          }
          // Members grouped by the list they probe (counting sort, members ascending).
          prober_start.assign(probed_lists.size() + 1, 0);
          for (size_t p = 0; p < probed_lists.size(); ++p) {
            prober_start[p + 1] =
                prober_start[p] + prober_count[static_cast<size_t>(probed_lists[p])];
            prober_count[static_cast<size_t>(probed_lists[p])] =
                static_cast<int64_t>(p);  // now: its index
          }
          probers.resize(static_cast<size_t>(prober_start.back()));
          prober_slots.resize(probers.size());
          std::vector<int64_t> cursor(prober_start.begin(), prober_start.end() - 1);
          for (int64_t i = 0; i < count; ++i) {
            int held = 0;
            const Candidate* kept = own.kept(i, &held);
            for (int j = 0; j < held; ++j) {
              const size_t at = static_cast<size_t>(
                  cursor[static_cast<size_t>(prober_count[static_cast<size_t>(kept[j].row)])]++);
              probers[at] = begin + i;
              prober_slots[at] = i;
            }
          }
          lists_met.fetch_add(static_cast<int64_t>(probed_lists.size()) * count,
                              std::memory_order_relaxed);
          TopCandidates best(count, k_search);
          for (size_t p = 0; p < probed_lists.size(); ++p) {
            const size_t l = static_cast<size_t>(probed_lists[p]);
            prober_count[l] = 0;
            ScoreTile tile{0,
                           prober_start[p + 1] - prober_start[p],
                           part.offsets[l],
                           part.offsets[l + 1],
                           false,
                           0};
            tile.rows = probers.data() + prober_start[p];
            tile.slots = prober_slots.data() + prober_start[p];
            scorer.score(tile, best);
          }
          found.resize(static_cast<size_t>(count * k_search));
          for (int64_t i = 0; i < count; ++i) {
            int64_t* slot = found.data() + i * k_search;
            best.take_rows(i, slot);
            for (int j = 0; j < k_search; ++j) {
              if (slot[j] >= 0) slot[j] = part.members[static_cast<size_t>(slot[j])];
            }
          }
          neighbors.resize(static_cast<size_t>(count * graph.k));
          similarity.resize(static_cast<size_t>(count * graph.k));
          assemble_knn_rows(data, params.metric, members, count, found.data(), k_search, graph.k,
                            neighbors.data(), similarity.data());
          // Lists own disjoint rows: no two threads write the same graph row.
          for (int64_t i = 0; i < count; ++i) {
            const size_t row = static_cast<size_t>(members[i]) * static_cast<size_t>(graph.k);
            std::copy_n(neighbors.data() + i * graph.k, graph.k, graph.neighbors.data() + row);
            std::copy_n(similarity.data() + i * graph.k, graph.k, graph.similarity.data() + row);
          }
        } catch (...) {
#pragma omp critical(unfriend_ivf_unit)
          {
            if (!failure) failure = std::current_exception();
          }
          stop.store(true);
          continue;
        }
#pragma omp critical(unfriend_ivf_unit)
        {
          progress.advance(count);
          const int64_t u = unit_of_list[static_cast<size_t>(list)];
          if (checkpoint != nullptr && !failure) {
            try {
              if (--lists_left[static_cast<size_t>(u)] == 0) {
                const auto [unit_rows_ptr, unit_count] = unit_rows_of(u);
                graph_to_unit(graph, unit_rows_ptr, unit_count, unit);
                checkpoint->save(u, unit);
              }
              if (checkpoint->stop_requested()) stop.store(true);
            } catch (...) {
              failure = std::current_exception();
              stop.store(true);
            }
          }
        }
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  if (stop.load()) throw StopRequested(units_saved(*checkpoint, units));
  progress.finish();
  if (to_search > 0) {
    log_info(fmt::format(
        "knn: ivf join: a run of lists ({} rows or more) probed {:.1f} lists "
        "between its rows (each its own {} nearest)",
        kJoinChunkRows, static_cast<double>(lists_met.load()) / static_cast<double>(to_search),
        ivf.nprobe));
  }
}

namespace {

// Queries query_rows[0, n) of the partitioned search (ivf_knn_of_rows) into out rows [0, n).
void search_query_chunk_ivf(MatrixView data, MatrixView grouped_view,
                            const std::vector<float>& grouped_norms, const IvfPartition& part,
                            int probes, Metric metric, int k, int k_search,
                            const int64_t* query_rows, int64_t n, int64_t* out_neighbors,
                            float* out_similarity) {
  const int64_t dims = data.cols;
  std::vector<float> gathered(static_cast<size_t>(n * dims));
  for (int64_t q = 0; q < n; ++q) {
    const float* row = data.row(query_rows[q]);
    std::copy(row, row + dims, gathered.data() + q * dims);
  }
  const MatrixView query_view{gathered.data(), n, dims};
  std::vector<int64_t> own;
  {
    TileScorer to_centroids(query_view, MatrixView{part.centroids.data(), part.nlist, dims}, metric,
                            nullptr,
                            part.centroid_norms.empty() ? nullptr : part.centroid_norms.data());
    own = own_nearest_lists(query_view, part, probes, to_centroids);
  }
  // Queries grouped by the list they probe (counting sort, queries ascending).
  std::vector<int64_t> start(static_cast<size_t>(part.nlist) + 1, 0);
  for (int64_t l : own) {
    if (l >= 0) ++start[static_cast<size_t>(l) + 1];
  }
  for (int l = 0; l < part.nlist; ++l)
    start[static_cast<size_t>(l) + 1] += start[static_cast<size_t>(l)];
  std::vector<int64_t> probers(static_cast<size_t>(start.back())),
      cursor(start.begin(), start.end() - 1);
  for (int64_t q = 0; q < n; ++q) {
    for (int p = 0; p < probes; ++p) {
      const int64_t l = own[static_cast<size_t>(q * probes + p)];
      if (l >= 0) probers[static_cast<size_t>(cursor[static_cast<size_t>(l)]++)] = q;
    }
  }

  // Lists in parallel, each thread keeping its own candidate lists for every query; merged in
  // the canonical order (a total order, so any split gives one set).
  const int threads = std::max(1, omp_get_max_threads());
  std::vector<std::unique_ptr<TopCandidates>> per_thread(static_cast<size_t>(threads));
  std::exception_ptr failure;
#pragma omp parallel num_threads(threads)
  {
    const int thread = omp_get_thread_num();
    try {
      per_thread[static_cast<size_t>(thread)] = std::make_unique<TopCandidates>(n, k_search);
      TileScorer scorer(query_view, grouped_view, metric, nullptr,
                        grouped_norms.empty() ? nullptr : grouped_norms.data());
#pragma omp for schedule(dynamic, 4)
      for (int l = 0; l < part.nlist; ++l) {
        const int64_t first = start[static_cast<size_t>(l)],
                      last = start[static_cast<size_t>(l) + 1];
        if (first == last) continue;
        ScoreTile tile{0,
                       last - first,
                       part.offsets[static_cast<size_t>(l)],
                       part.offsets[static_cast<size_t>(l) + 1],
                       false,
                       0};
        tile.rows = probers.data() + first;
        tile.slots = probers.data() + first;
        scorer.score(tile, *per_thread[static_cast<size_t>(thread)]);
      }
    } catch (...) {
#pragma omp critical(unfriend_ivf_rows_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  TopCandidates best(n, k_search);
  for (const auto& part_best : per_thread) {
    if (part_best) best.merge(*part_best);
  }
  per_thread.clear();
  std::vector<int64_t> candidates(static_cast<size_t>(n * k_search));
  for (int64_t q = 0; q < n; ++q) {
    int64_t* slot = candidates.data() + q * k_search;
    best.take_rows(q, slot);
    for (int j = 0; j < k_search; ++j) {
      if (slot[j] >= 0) slot[j] = part.members[static_cast<size_t>(slot[j])];
    }
  }
  assemble_knn_rows(data, metric, query_rows, n, candidates.data(), k_search, k, out_neighbors,
                    out_similarity);
}

}  // namespace

KnnGraph ivf_knn_of_rows(MatrixView data, const std::vector<int64_t>& query_rows, int k,
                         Metric metric, int nlist, int nprobe, uint64_t seed,
                         int64_t query_block_rows) {
  KnnParams params;
  params.k = k;
  params.metric = metric;
  params.seed = seed;
  validate_knn_data(data, params);
  const int64_t n = static_cast<int64_t>(query_rows.size());
  KnnGraph graph;
  graph.rows = n;
  graph.k = k;
  graph.neighbors.assign(static_cast<size_t>(n * k), -1);
  graph.similarity.assign(static_cast<size_t>(n * k), -std::numeric_limits<float>::infinity());
  if (n == 0 || data.rows < 2) return graph;
  IvfSettings ivf;
  ivf.nlist = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(nlist, data.rows)));
  ivf.train_rows = std::min<int64_t>(data.rows, 32 * static_cast<int64_t>(ivf.nlist));
  const IvfPartition part = build_partition(data, params, ivf);
  const int probes = std::max(1, std::min(nprobe, part.width));
  const int64_t dims = data.cols;
  const int k_search = search_width(data.rows, k);

  // The rows grouped list by list; the queries then go in chunks of query_block_rows (which
  // bounds the candidate lists held), each gathered, with each query's own nearest lists.
  std::vector<float> grouped(static_cast<size_t>(data.rows * dims));
  for (int64_t m = 0; m < data.rows; ++m) {
    const float* row = data.row(part.members[static_cast<size_t>(m)]);
    std::copy(row, row + dims, grouped.data() + m * dims);
  }
  const MatrixView grouped_view{grouped.data(), data.rows, dims};
  const std::vector<float> grouped_norms =
      metric == Metric::l2 ? tile_squared_norms(grouped_view) : std::vector<float>{};
  const int64_t chunk = query_block_rows > 0 ? std::min(query_block_rows, n) : n;
  for (int64_t chunk_first = 0; chunk_first < n; chunk_first += chunk) {
    search_query_chunk_ivf(data, grouped_view, grouped_norms, part, probes, metric, k, k_search,
                           query_rows.data() + chunk_first, std::min(chunk, n - chunk_first),
                           graph.neighbors.data() + chunk_first * k,
                           graph.similarity.data() + chunk_first * k);
  }
  return graph;
}

}  // namespace unfriend
