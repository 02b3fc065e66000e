// Inputs shared by the micro-benchmarks: synthetic accounts (unfriend synth, fixed seed), the
// same rows preprocessed as the sweep does, an exact kNN graph of them and an HDF5 file of them.
// Each is built once per size and process and cached, so a benchmark times only its own stage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend::micro {

/// Features per synthetic account in every micro-benchmark (as in bench/peers and cpu-sweep).
constexpr int64_t kDims = 64;
/// unfriend's default kNN width (configs/default.toml knn.k).
constexpr int kNeighbours = 32;

/// Raw (unstandardised) synthetic features [rows x kDims], seed 1.
const Matrix& raw_features(int64_t rows);

/// raw_features(rows) standardised per feature and scaled to unit length (cosine), as the sweep
/// feeds the kNN stage.
const Matrix& preprocessed_features(int64_t rows);

/// The exact cosine kNN graph (k = kNeighbours) of preprocessed_features(rows), CPU backend.
const KnnGraph& exact_graph(int64_t rows);

/// Edge distances of exact_graph(rows) (host/pipeline/density.h edge_distances, cosine).
const std::vector<float>& graph_distances(int64_t rows);

/// An HDF5 input file of raw_features(rows) written by unfriend's synth writer, contiguous
/// float32, in a scratch folder that is removed when the process exits.
const std::string& synth_file(int64_t rows);

}  // namespace unfriend::micro
