// From raw search candidates to finished kNN graph rows: the rules every CPU search mode shares.
#pragma once

#include <cstdint>

#include "host/core/knn_graph.h"
#include "host/core/matrix.h"

namespace unfriend {

/// Turns `n` candidate lists of `k_search` labels each (FAISS output; -1 = no result) into `n`
/// finished rows of `k` entries: the query's own row (self_rows[q]) is removed wherever it
/// appears, -1 labels and repeated labels are dropped, every kept neighbour is rescored with
/// pair_similarity, the list is sorted (similarity desc, index asc) and cut to k - so when self
/// was absent (more than k exact duplicates, or an approximate search missed it) the lowest
/// candidate goes - and short lists are padded with index -1 and similarity -inf.
/// Parallel over queries (OpenMP).
///
/// complete_ties (exact search): when the k-th kept similarity is within the search's float
/// rounding of the worst candidate, rows the search did not return could tie with it; that row
/// is then scored against every row, so that the kept set is the canonical one whatever the
/// block size or thread count (large groups of exact duplicates pay an O(N) scan per member).
void assemble_knn_rows(MatrixView data, Metric metric, const int64_t* self_rows, int64_t n,
                       const int64_t* candidates, int k_search, int k, int64_t* out_neighbors,
                       float* out_similarity, bool complete_ties = false);

}  // namespace unfriend
