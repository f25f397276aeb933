#pragma once
// The matcher: which matches to propose in a community now. A pure function of the community's
// folded state (ledger/core/rules.h: the posts, the matches so far, the members' reputation
// inputs, the policy's fairness knobs, and the log's clock at the last event, the round's "now")
// and of its matching projection (projections/matching_fold.h: the live match queues of open
// requests and offers, and each helper's exposure), read together under the projector's lock.
// No I/O, no clock, no randomness: ties break on a hash of request and helper (fairness off),
// then member and post ids. So anyone who replays the
// log to the community event count a proposal names (`basis`) and runs propose() there gets
// that proposal again (tests/matching/matcher_test.cpp does).
//
// A round: every open request that has no open match (none proposed and unanswered, none
// accepted), was posted by a member who is not suspended, and has a helper free for it (oldest
// first, among the round_requests_looked_max oldest open requests, until round_requests_max of
// them got a proposal) gets a new round of up to
// proposals_per_request proposals, its helpers chosen by the fairness layer
// (matching/fairness.h) among the fitting offers of helpers under the open-match cap who were
// not proposed for that request before. With fairness on, requests of members with little
// reputation (score < low_reputation_score) are served first, low_reputation_proposals_min
// each, then every request oldest first; with it off, oldest first only. With fairness on, each
// request's round then adds the silent offers among its candidates (fairness.h:
// pick_silent_offers, the policy's silence floor): helpers who heard nothing for that long.
//
// The wait bound (fairness on and off alike; the policy's request_wait_hours_max): an unanswered
// proposal holds its request only until it is that old (a requester who never answers must not
// keep the request from help: it gets a round beside the unanswered proposals, whose helpers
// are not proposed again while theirs is open). A request that has waited past the bound without an
// accepted match, and for which no fresh helper is free, is proposed helpers proposed before
// whose proposals were answered (declined, or lapsed).
//
// Ids are derived, not chosen: SHA-256("uurwerk/match-id/v1" || community || request || round ||
// rank), first 16 bytes. Two nodes that propose the same round make the same ids: the second
// copy is a duplicate, never a second proposal. The signing sequence is derived too
// (proposal_seq), so two nodes at the same basis sign byte-identical bodies.
//
// Threading: none; values.

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "ledger/core/rules.h"
#include "projections/matching_fold.h"

namespace uurwerk {

inline constexpr std::size_t round_requests_max = 256;          // requests served in one round
inline constexpr std::size_t round_requests_looked_max = 4096;  // requests looked at for them
inline constexpr double low_reputation_score = 0.5;             // of the community's mean (1.0)
inline constexpr std::uint64_t round_seq_stride = 65536;        // > round_requests_max x 40 (ranked
                                                          // and silent proposals of a request)

struct proposal {
    event_id id;  // derived: proposal_id()
    event_id request;
    event_id offer;
    member_id requester;
    member_id helper;
    std::uint32_t round = 0;
    std::uint32_t rank = 0;
    std::uint32_t round_size = 0;
    std::uint64_t basis = 0;  // the community's event count the round read
    bool operator==(const proposal&) const = default;
};

// The proposals of this round in community `c`, in the order they are to be signed.
[[nodiscard]] std::vector<proposal> propose(community_id c, const community_state& state,
                                            const community_matching& matching);

// The reputation a round ranks by: the scores as of the start of the day (UTC, by the log's
// clock) of the community's last event, from what had happened by then. Every round of a day
// reads the same scores (computing them is the costly part of a round), and propose() with
// them is the same as propose() without, as long as no confirmed claim of that day's past was
// reversed since (a caller that keeps them for a day, as bench fairness does, relies on that).
[[nodiscard]] time_ms reputation_day(const community_state& state);
[[nodiscard]] std::map<member_id, double> round_reputation(const community_state& state);
[[nodiscard]] std::vector<proposal> propose(community_id c, const community_state& state,
                                            const community_matching& matching,
                                            const std::map<member_id, double>& reputation);

[[nodiscard]] event_id proposal_id(community_id c, const event_id& request, std::uint32_t round,
                                   std::uint32_t rank);

// The node's event for the i-th proposal of a round (author 0, the node; createdAtMs the
// round's clock; seq = basis x round_seq_stride + i + 1, increasing from round to round because
// each round's basis is past the previous round's events).
[[nodiscard]] event_body proposal_body(community_id c, const proposal& p, std::size_t i,
                                       time_ms round_clock);

// A logged matchProposed as a proposal (for comparing a replay with the log).
[[nodiscard]] proposal proposal_of(const event_body& body, member_id requester);

// What the matches so far say about one request, at the community's clock `now`: the one
// reading of them that the matcher and the stock sample (stock.h) share.
struct request_history {
    bool accepted = false;  // a match accepted (and not ended)
    bool holding = false;   // a proposal unanswered (and, with a hold bound, younger than it)
    std::optional<std::uint32_t> last_round;
    std::set<member_id> proposed;  // helpers proposed for it in any round
    std::set<member_id> pending;   // helpers whose proposal for it is unanswered
};
// `hold_max`: how long an unanswered proposal holds the request; none: for as long as it is
// unanswered.
[[nodiscard]] request_history history_of(const community_state& c, const event_id& request,
                                         time_ms now,
                                         std::optional<std::chrono::milliseconds> hold_max);

}  // namespace uurwerk
