// Between a kNN graph and the units its checkpoint stores: the bookkeeping every CPU search
// mode shares.
#pragma once

#include <cstdint>
#include <string>

#include "host/core/backend.h"
#include "host/core/knn_graph.h"

namespace unfriend {

/// "S of U kNN units saved": what a stopped build says.
std::string units_saved(const KnnCheckpoint& checkpoint, int64_t units);

/// Whether a unit read back from a checkpoint holds exactly `count` rows `rows`, with the
/// graph's width and neighbours inside the data; anything else is computed again.
bool unit_fits(const KnnUnit& unit, const int64_t* rows, int64_t count, const KnnGraph& graph);

/// Copies a unit's rows into the graph.
void unit_to_graph(const KnnUnit& unit, KnnGraph& graph);

/// Copies graph rows `rows[0, count)` into a unit.
void graph_to_unit(const KnnGraph& graph, const int64_t* rows, int64_t count, KnnUnit& unit);

}  // namespace unfriend
