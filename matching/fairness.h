#pragma once
// The fairness layer: between relevance ranking and proposals. Given a request's candidate
// helpers (each with the relevance of their offer to it) and what each helper has received so
// far, it picks whom to propose, in order. Pure: the exposure so far, the policy and the time are
// arguments; no I/O, no clock, no randomness (ties break on member id), so a replay of the log
// proposes the same.
//
// With fairness on (amortized fairness of exposure, after Biega et al., "Equity of Attention",
// SIGIR 2018): over time each eligible helper's share of exposure should track their share of
// relevance. Each helper carries `relevance_sum` (their share of the relevance of every request
// they were a candidate for) and `exposure_sum` (the proposals they got, weighted by position,
// and projections/exposure.h's match_exposure for every match of theirs that began); candidates are
// ordered by exposure per relevance (received over owed), least first, among those whose
// relevance is within `quality_floor` of the best (fairness never proposes a poor fit). A ratio
// and not a difference: the two sums grow at different rates (a round hands out one unit of
// relevance, and a proposal round plus a match far more exposure), and a difference would then
// order by exposure alone, under-serving the helpers owed the most. Before that, two guarantees: a
// newcomer whose offer has waited `newcomer_floor` without any proposal goes first, and nobody over
// the cap of concurrent open matches is proposed. Requesters choose among the proposals and prefer
// a record, so a helper who had a match, proposed beside others who had none, takes the match
// back: when the first in order has had no match yet (exposure below match_exposure), the policy
// may cut the round to unmatched_first_proposals (measured with 1 on the 24 cells of 1,000
// members of bench fairness' grid: starvation over all offers fell in 22, by up to 11 points,
// helpers kept moved within a few percent either way; in the one 5,000-member cell run it did
// not lower starvation and kept 8 % fewer: matching/FAIRNESS.md). A policy may also put first,
// and alone, the helpers who have waited longest for a match (match_silence; measured on the 24
// cells of 1,000 members and four of 2,000 and 5,000: helpers kept rose in every one,
// matching/FAIRNESS.md).
// With fairness off: relevance times the reputation
// factor, highest first (the popularity ranking the layer exists to correct), equal scores in the
// order of a hash of request and helper (`candidate::tie`).
//
// Threading: none; values.

#include <chrono>
#include <vector>

#include "ledger/core/fairness_knobs.h"
#include "projections/exposure.h"

namespace uurwerk {

// The defaults here are those of ledger/core/fairness_knobs.h's resolved(): a policy without knobs.
struct fairness_policy {
    bool on = true;
    std::size_t proposals_per_request = 3;
    std::uint32_t open_matches_max = 4;                        // per helper
    std::chrono::milliseconds newcomer_floor{72 * 3'600'000};  // 3 days
    double quality_floor = 0.5;          // only candidates with relevance >= this x the best
    double reputation_weight_max = 0.2;  // fairness off: relevance x (1 + up to this)
    // A request without an accepted match for this long is served again (matching/matcher.h).
    std::chrono::milliseconds request_wait_max{48 * 3'600'000};
    // An offer proposed before but silent for this long (no proposal, no match that ended), its
    // helper without an open match, is proposed beyond the others (pick_silent_offers), at most
    // silent_proposals_max per request.
    std::chrono::milliseconds silence_floor{336 * 3'600'000};
    std::size_t silent_proposals_max = 17;
    // With fairness on, a request whose first-ranked helper has had no match yet (exposure below
    // one match's weight) gets at most this many proposals: so that a requester's choice, which
    // prefers a record, does not hand the match back to a helper who already had one.
    std::size_t unmatched_first_proposals = 20;
    // With fairness on, a helper whose offer has had no match end for this long (never matched:
    // since it was posted), with no open match, is due: due helpers go first (after the
    // newcomers who waited past the newcomer floor), the longest since first, and a request whose
    // first-ranked helper is due is proposed that helper alone. Volunteers who hear nothing
    // drift away, and a requester shown three prefers a record: so that the matches keep as
    // many helpers as they can, each goes to the one who has waited longest for one. 0: no such
    // rule (the default, as before the knob).
    std::chrono::milliseconds match_silence{0};
};

struct candidate {
    member_id helper;
    event_id offer;
    double relevance = 0;   // 0..1, how well the offer fits the request
    double reputation = 0;  // the helper's score (mean 1)
    std::uint32_t open_matches = 0;
    time_ms offered_at;                    // when this offer was posted
    std::uint64_t proposals_received = 0;  // ever, for this offer
    double relevance_sum = 0;              // the helper's amortized relevance so far
    double exposure_sum = 0;               // the helper's amortized exposure so far
    time_ms heard_at{};                    // this offer's last proposal or match end (if any)
    // Fairness off: the order among equal scores (least first), a hash of the request and the
    // helper (tie_hash), so that ties do not always go to the same members; then member id.
    std::uint64_t tie = 0;
    // The end of this offer's last match, or its posting when none has ended (match_silence).
    time_ms matched_at{};
};

// Whether `c` is due under `policy`'s match_silence at `now` (see fairness_policy).
[[nodiscard]] bool match_due(const candidate& c, const fairness_policy& policy, time_ms now);

// The tie-break of the popularity ranking for `helper` on `request`: a fixed mix of the two,
// different from request to request (breaking ties by member id sent every tie to the lowest
// ids, which concentrated proposals beyond what popularity alone does).
[[nodiscard]] std::uint64_t tie_hash(const event_id& request, member_id helper);

struct proposal_pick {
    member_id helper;
    event_id offer;
    std::uint32_t rank = 0;  // 0 = first
    double exposure = 0;     // the position weight this proposal adds to exposure_sum
};

// A community's fairness knobs (its policy; zeros are defaults) as the layer's parameters.
[[nodiscard]] fairness_policy fairness_from(const fairness_knobs& knobs);

// Whom to propose for one request, in order (at most proposals_per_request).
[[nodiscard]] std::vector<proposal_pick> pick_proposals(const std::vector<candidate>& candidates,
                                                        const fairness_policy& policy, time_ms now);

// With fairness on, the silent offers to propose for one request beyond `picked` (its ranked
// picks, whose helpers are left out): candidates within the quality floor that were proposed
// before but heard nothing (no proposal, no end of a match) in the last `silence_floor`, whose
// helpers have no open match, the longest silent first, at most silent_proposals_max; ranks
// follow `picked`'s. A helper whose relationship just ended is not silent: proposing them again
// at once would hand the requesters' favourites (a good record) the matches that the ranked
// order, which counts their matches, gives to others. Nothing with
// fairness off. People who hear nothing for weeks stop offering, and with far more offers than
// requests the ranked picks alone leave most helpers of a quiet category unheard for longer than
// that: measured with `bench fairness` (matching/FAIRNESS.md).
[[nodiscard]] std::vector<proposal_pick> pick_silent_offers(
    const std::vector<candidate>& candidates, const std::vector<proposal_pick>& picked,
    const fairness_policy& policy, time_ms now);

// What a request adds to each candidate's relevance_sum: their relevance's share of the total
// relevance of the eligible candidates (so every request hands out exactly one unit).
[[nodiscard]] std::vector<double> relevance_shares(const std::vector<candidate>& candidates,
                                                   const fairness_policy& policy);

}  // namespace uurwerk
