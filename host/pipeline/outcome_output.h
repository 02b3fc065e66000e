// The evidence tables a sweep writes beside its labels: the density clusters before the tests
// (what `explain` tells an unflagged account) and the review queue.
#pragma once

#include <vector>

#include "host/io/h5_writer.h"
#include "host/pipeline/decisions.h"
#include "host/pipeline/groups.h"
#include "host/pipeline/stable_ids.h"

namespace unfriend {

/// /candidates/{size,core_size,internal_distance,surround_distance,tightness,cohesion,outcome,
/// cluster}: cluster is the stable id of the cluster a candidate became (-1: rejected).
void write_candidates(H5Writer& writer, const std::vector<Candidate>& candidates,
                      const StableIds& cluster_ids);

/// /review/{kind,id,size,protected,cleared}: the groups held for review.
void write_review_queue(H5Writer& writer, const Decisions& decisions);

}  // namespace unfriend
