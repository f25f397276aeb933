#pragma once
// The open stock of a community at one instant, as the fairness benchmark samples it every
// simulated hour (api/bench/bench_fairness.cpp): how many offers and requests are open (the model's
// calibration against the field's ratio is checked with it, not assumed), how many of the
// helpers' open-match slots are held, and which requests waited past the policy's wait bound
// while a fitting helper was free (issue 5, point 6: that should not happen).
//
// "Fitting" here is the benchmark's (matching/fair_share.h): an open offer of the request's
// category in the same area. A helper is free for a request when their offer is open, they are
// not suspended, they hold fewer open matches than the policy's cap, and no proposal of theirs
// for that request is unanswered. A request counts as past the bound when it is open, has no
// accepted match, was posted more than request_wait_hours_max ago, and no unanswered proposal
// younger than that holds it (the requester has nothing recent in hand).
//
// Pure: reads a community's folded state and its matching projection (the queues and the
// exposure, projections/matching_fold.h); no I/O, no clock. Threading: none; values.

#include <array>
#include <vector>

#include "ledger/core/rules.h"
#include "projections/matching_fold.h"

namespace uurwerk {

struct stock_sample {
    std::size_t open_offers = 0;
    std::size_t open_requests = 0;      // open and without an accepted match
    std::size_t helper_slots = 0;       // the cap x the helpers with an open offer
    std::size_t helper_slots_used = 0;  // of those, held by open (proposed or accepted) matches
    // The same two counts, by category (indexed by the category's value).
    std::array<std::size_t, category_count> open_offers_by_category{};
    std::array<std::size_t, category_count> open_requests_by_category{};
    std::vector<event_id> past_bound_with_free_helper;  // in no particular order
};

[[nodiscard]] stock_sample sample_stock(const community_state& c, const community_matching& m);

}  // namespace uurwerk
