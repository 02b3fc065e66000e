// gpu_bench: the exact kNN graph on one GPU at benchmark sizes, against the hardware's own
// ceilings measured in the same run (a large fp16 cublasGemmEx, a pinned host-to-device copy).
// Synthetic rows are generated on the device, so large sizes skip host I/O; with --source host
// they are copied to host memory first and go through the upload path like real data.
//
//   gpu_bench --rows 1M,4M --dims 64,128 --k 32 [--source auto|host|device] [--out table.md]
//
// Prints a markdown table: wall seconds, effective TFLOP/s (2 N^2 D / time, the work of a
// brute-force GEMM over all pairs) against the measured GEMM peak, the GPU time split between
// the GEMM tiles and selection, and upload bandwidth against pinned memcpy.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cuda/cuda_backend.h"
#include "cuda/cuda_error.h"
#include "cuda/device_buffer.h"
#include "cuda/gpu_knn.h"
#include "cuda/gpu_resources.h"
#include "cuda/host_rescore.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/similarity.h"
#include "kernels/convert_rows.h"
#include "kernels/random_rows.h"

namespace {

using namespace unfriend;
using gpu::DeviceBuffer;

/// "1M" -> 1000000, "15M" -> 15000000, "500K", "1000".
int64_t parse_count(const std::string& text) {
  if (text.empty()) throw InputError("empty size");
  double multiplier = 1;
  std::string digits = text;
  const char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (suffix == 'K' || suffix == 'M' || suffix == 'G') {
    multiplier = suffix == 'K' ? 1e3 : suffix == 'M' ? 1e6 : 1e9;
    digits.pop_back();
  }
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(digits, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != digits.size() || value <= 0) throw InputError("bad size '" + text + "'");
  return static_cast<int64_t>(std::llround(value * multiplier));
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string part = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

/// Times `body` (which queues work on `stream`) with CUDA events: mean milliseconds of `reps`
/// runs after `warmups` untimed ones.
template <typename Body>
double time_ms(cudaStream_t stream, int warmups, int reps, Body&& body) {
  for (int i = 0; i < warmups; ++i) body();
  cudaEvent_t start, stop;
  UNFRIEND_CUDA_TRY(cudaEventCreate(&start));
  UNFRIEND_CUDA_TRY(cudaEventCreate(&stop));
  UNFRIEND_CUDA_TRY(cudaEventRecord(start, stream));
  for (int i = 0; i < reps; ++i) body();
  UNFRIEND_CUDA_TRY(cudaEventRecord(stop, stream));
  UNFRIEND_CUDA_TRY(cudaEventSynchronize(stop));
  float ms = 0;
  UNFRIEND_CUDA_TRY(cudaEventElapsedTime(&ms, start, stop));
  UNFRIEND_CUDA_TRY(cudaEventDestroy(start));
  UNFRIEND_CUDA_TRY(cudaEventDestroy(stop));
  return ms / reps;
}

/// TFLOP/s of an fp16 x fp16 -> fp32 (fp32 compute) GEMM of m x n x k, the kNN tiles' kind.
double gemm_tflops(gpu::GpuResources& res, int m, int n, int k, cudaDataType_t type) {
  DeviceBuffer<uint16_t> a(static_cast<size_t>(m) * k), b(static_cast<size_t>(n) * k);
  DeviceBuffer<float> c(static_cast<size_t>(m) * n);
  // Random-ish operands: zeros would flatter the tensor cores' power draw.
  DeviceBuffer<float> scratch(std::max(a.size(), b.size()));
  const cudaStream_t stream = res.compute_stream();
  UNFRIEND_CUDA_TRY(
      kernels::random_normal(scratch.data(), static_cast<int64_t>(scratch.size()), 1, stream));
  const auto reduced =
      type == CUDA_R_16BF ? kernels::ReducedType::bf16 : kernels::ReducedType::fp16;
  UNFRIEND_CUDA_TRY(
      kernels::convert_rows(scratch.data(), m, k, k, a.data(), k, reduced, 1.f, nullptr, stream));
  UNFRIEND_CUDA_TRY(
      kernels::convert_rows(scratch.data(), n, k, k, b.data(), k, reduced, 1.f, nullptr, stream));
  const float alpha = 1.f, beta = 0.f;
  const double ms = time_ms(stream, 3, 10, [&] {
    UNFRIEND_CUBLAS_TRY(cublasGemmEx(res.cublas(), CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha,
                                     a.data(), type, k, b.data(), type, k, &beta, c.data(),
                                     CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  });
  return 2.0 * m * n * k / (ms * 1e-3) / 1e12;
}

/// Host-to-device GB/s from pinned memory (the ceiling of our upload path).
double pinned_h2d_gbps(gpu::GpuResources& res) {
  const size_t bytes = size_t{256} << 20;
  gpu::PinnedBuffer<std::byte> host(bytes);
  DeviceBuffer<std::byte> device(bytes);
  std::fill_n(host.data(), bytes, std::byte{1});
  const cudaStream_t stream = res.copy_stream();
  const double ms = time_ms(stream, 1, 5, [&] {
    UNFRIEND_CUDA_TRY(
        cudaMemcpyAsync(device.data(), host.data(), bytes, cudaMemcpyHostToDevice, stream));
  });
  return static_cast<double>(bytes) / (ms * 1e-3) / 1e9;
}

/// Recall@k of `graph` on `sample` rows against an exact brute force in double on the host.
double sample_recall(const std::vector<float>& data, int64_t rows, int64_t cols,
                     const KnnGraph& graph, int sample, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> picks(static_cast<size_t>(sample));
  for (auto& p : picks) p = static_cast<int64_t>(rng() % static_cast<uint64_t>(rows));
  const int k = graph.k;
  std::vector<double> recall(picks.size());
  std::vector<std::thread> pool;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::vector<std::pair<float, int64_t>> all(static_cast<size_t>(rows));
      for (size_t s = t; s < picks.size(); s += threads) {
        const int64_t i = picks[s];
        for (int64_t j = 0; j < rows; ++j) {
          all[j] = {
              j == i ? -INFINITY
                     : static_cast<float>(pair_similarity(
                           data.data() + i * cols, data.data() + j * cols, cols, Metric::cosine)),
              j};
        }
        std::nth_element(all.begin(), all.begin() + (k - 1), all.end(),
                         [](const auto& a, const auto& b) {
                           return a.first != b.first ? a.first > b.first : a.second < b.second;
                         });
        const float kth = all[k - 1].first;
        // Ties at the k-th similarity: any of them is a correct neighbour.
        int hits = 0;
        for (int e = 0; e < k; ++e) {
          const int64_t n = graph.neighbors_of(i)[e];
          if (n >= 0 && graph.similarity_of(i)[e] >= kth) ++hits;
        }
        recall[s] = static_cast<double>(hits) / k;
      }
    });
  }
  for (auto& th : pool) th.join();
  return std::accumulate(recall.begin(), recall.end(), 0.0) / static_cast<double>(recall.size());
}

struct Row {
  int64_t rows = 0;
  int64_t dims = 0;
  int k = 0;
  std::string source;
  std::string mode;
  double seconds = 0;
  double tflops = 0;
  double peak_share = 0;
  double gemm_ms = 0;
  double select_ms = 0;
  double other_ms = 0;
  double upload_gbps = 0;
  double recall = -1;
};

std::string markdown_table(const std::vector<Row>& rows, double peak_tflops, double pinned_gbps,
                           const std::string& device_name, const std::string& precision) {
  std::string out = fmt::format(
      "GPU: {} | GEMM peak ({} 8192^3, fp32 accumulate): {:.0f} TFLOP/s | pinned H2D: {:.1f} "
      "GB/s\n\n",
      device_name, precision, peak_tflops, pinned_gbps);
  out +=
      "| N | D | k | rows from | plan | seconds | TFLOP/s (2N^2D/t) | % of GEMM peak | GEMM % | "
      "select % | other % | upload GB/s (% pinned) | recall@k (sample) |\n";
  out += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    const double gpu_total = r.gemm_ms + r.select_ms + r.other_ms;
    const auto share = [&](double ms) { return gpu_total > 0 ? 100.0 * ms / gpu_total : 0.0; };
    out += fmt::format(
        "| {} | {} | {} | {} | {} | {:.2f} | {:.1f} | {:.1f} | {:.0f} | {:.0f} | {:.0f} | {} | {} "
        "|\n",
        r.rows, r.dims, r.k, r.source, r.mode, r.seconds, r.tflops, r.peak_share, share(r.gemm_ms),
        share(r.select_ms), share(r.other_ms),
        r.upload_gbps > 0
            ? fmt::format("{:.1f} ({:.0f}%)", r.upload_gbps, 100.0 * r.upload_gbps / pinned_gbps)
            : std::string("-"),
        r.recall >= 0 ? fmt::format("{:.4f}", r.recall) : std::string("-"));
  }
  return out;
}

int run(int argc, char** argv) {
  CLI::App app{"gpu_bench: exact kNN graph on the GPU at benchmark sizes"};
  std::string rows_text = "1M";
  std::string dims_text = "64,128";
  int k = 32;
  std::string source = "auto";
  std::string precision_text = "fp16";
  std::string budget_text;
  bool streaming = false;
  int device = 0;
  int check_rows = 64;
  std::string out_path;
  app.add_option("--rows", rows_text, "Row counts, comma-separated (1M, 4M, 15M, 500K)");
  app.add_option("--dims", dims_text, "Dimensions, comma-separated");
  app.add_option("--k", k, "Neighbours per row");
  app.add_option("--source", source,
                 "Rows from host memory, device memory, or auto "
                 "(host up to 4M rows)")
      ->check(CLI::IsMember({"auto", "host", "device"}));
  app.add_option("--precision", precision_text, "GEMM input type")
      ->check(CLI::IsMember({"fp16", "bf16"}));
  app.add_option("--budget", budget_text, "GPU memory budget (e.g. 8G); default 80% of free");
  app.add_flag("--streaming", streaming, "Stream the rows through the device (out of core)");
  app.add_option("--device", device, "CUDA device");
  app.add_option("--check-rows", check_rows, "Rows whose recall@k is checked on the host (0: off)");
  app.add_option("--out", out_path, "Also write the table to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  std::string reason;
  if (!cuda_device_usable(device, &reason)) {
    fmt::print(stderr, "gpu_bench: no usable GPU: {}\n", reason);
    return 2;
  }
  set_quiet(true);
  gpu::GpuResources res(device, 0);
  CudaTuning tuning;
  tuning.precision = precision_text == "bf16" ? GemmPrecision::bf16 : GemmPrecision::fp16;
  tuning.collect_stage_times = true;
  tuning.force_streaming = streaming;
  if (!budget_text.empty()) tuning.memory_budget_bytes = parse_count(budget_text);
  const cudaDataType_t gemm_type =
      tuning.precision == GemmPrecision::bf16 ? CUDA_R_16BF : CUDA_R_16F;

  const double peak = gemm_tflops(res, 8192, 8192, 8192, gemm_type);
  const double pinned = pinned_h2d_gbps(res);
  fmt::print(stderr, "gpu_bench: {}: GEMM peak {:.0f} TFLOP/s, pinned H2D {:.1f} GB/s\n",
             res.device_name(), peak, pinned);

  std::vector<Row> table;
  for (const std::string& rows_item : split(rows_text)) {
    for (const std::string& dims_item : split(dims_text)) {
      const int64_t n = parse_count(rows_item);
      const int64_t d = parse_count(dims_item);
      const bool from_host = source == "host" || (source == "auto" && n <= 4000000) || streaming;
      // Unit rows (cosine): generated and normalised on the device.
      DeviceBuffer<float> device_rows(static_cast<size_t>(n * d));
      UNFRIEND_CUDA_TRY(kernels::random_normal(
          device_rows.data(), n * d, static_cast<uint64_t>(n * 131 + d), res.compute_stream()));
      UNFRIEND_CUDA_TRY(kernels::normalize_rows(device_rows.data(), n, d, res.compute_stream()));
      res.synchronize();
      std::vector<float> host_rows;
      if (from_host || check_rows > 0) {
        host_rows.resize(static_cast<size_t>(n * d));
        UNFRIEND_CUDA_TRY(cudaMemcpy(host_rows.data(), device_rows.data(),
                                     host_rows.size() * sizeof(float), cudaMemcpyDeviceToHost));
      }
      gpu::KnnRows input;
      input.rows = n;
      input.cols = d;
      if (from_host) {
        input.host = host_rows.data();
        device_rows = DeviceBuffer<float>();  // the device copy would only take budget
      } else {
        input.device = device_rows.data();
      }
      KnnParams params;
      params.k = k;
      params.metric = Metric::cosine;
      // The resources' budget was fixed before these rows took device memory: plan from what is
      // free now (the previous run's stack region given back first).
      res.stack().release_region();
      size_t free_bytes = 0, total_bytes = 0;
      UNFRIEND_CUDA_TRY(cudaMemGetInfo(&free_bytes, &total_bytes));
      CudaTuning run_tuning = tuning;
      run_tuning.memory_budget_bytes = static_cast<int64_t>(static_cast<double>(free_bytes) *
                                                            gpu::GpuResources::kFreeMemoryShare);
      if (tuning.memory_budget_bytes > 0) {
        run_tuning.memory_budget_bytes =
            std::min(run_tuning.memory_budget_bytes, tuning.memory_budget_bytes);
      }
      gpu::GpuKnnStats stats;
      fmt::print(stderr, "gpu_bench: N={} D={} k={} from {}...\n", n, d, k,
                 from_host ? "host" : "device");
      const KnnGraph graph = gpu::gpu_knn_graph(res, input, params, run_tuning, &stats);

      Row row;
      row.rows = n;
      row.dims = d;
      row.k = k;
      row.source = from_host ? "host" : "device";
      row.mode = stats.plan.streaming ? fmt::format("streamed, {} blocks", stats.plan.db_blocks)
                                      : "resident";
      row.seconds = stats.seconds;
      row.tflops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(d) /
                   stats.seconds / 1e12;
      row.peak_share = 100.0 * row.tflops / peak;
      auto stage = [&](gpu::Stage s) { return stats.stage_ms[static_cast<size_t>(s)]; };
      row.gemm_ms = stage(gpu::Stage::gemm);
      row.select_ms = stage(gpu::Stage::select);
      row.other_ms =
          stage(gpu::Stage::convert) + stage(gpu::Stage::rescore) + stage(gpu::Stage::download);
      if (stats.upload_bytes > 0 && stage(gpu::Stage::upload) > 0) {
        row.upload_gbps =
            static_cast<double>(stats.upload_bytes) / (stage(gpu::Stage::upload) * 1e-3) / 1e9;
      }
      if (check_rows > 0) {
        row.recall = sample_recall(host_rows, n, d, graph, check_rows, 7);
      }
      fmt::print(stderr, "gpu_bench:   {:.2f} s ({})\n", row.seconds, stats.plan.describe());
      table.push_back(row);
    }
  }
  const std::string text = markdown_table(table, peak, pinned, res.device_name(), precision_text);
  fmt::print("{}", text);
  if (!out_path.empty()) {
    std::ofstream out(out_path, std::ios::app);
    out << text << "\n";
    if (!out) {
      fmt::print(stderr, "gpu_bench: could not write {}\n", out_path);
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const unfriend::InputError& e) {
    fmt::print(stderr, "gpu_bench: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "gpu_bench: error: {}\n", e.what());
    return 1;
  }
}
