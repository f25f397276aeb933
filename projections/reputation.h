#pragma once
// Reputation: trust that flows along confirmed hours and endorsements, EigenTrust-style (a
// personalized PageRank over the community's exchange graph), seeded by verified members and
// coordinators. Pure: the exchanges, the seeds and the time are arguments; no I/O, no clock.
// The same inputs give the same scores on every replica (fixed iteration order, no randomness).
//
// The local trust a member i places in j grows with the help i received from j and the
// endorsements i gave j, each weighed by its age (half-life), with diminishing returns per pair:
// w_ij = log2(1 + hours_ij + endorsement_weight * endorsements_ij) - dispute_weight * disputes_ij
// (floored at 0), so two accounts trading with each other cannot pump each other: a hundred hours
// between the same two members weigh about as much as seven hours from seven different members.
// Disputes weigh against the disputed helper and fade with their own half-life. Trust then
// spreads: t = (1 - a) C^T t + a p, where C holds each member's local trust normalized to sum 1
// and p spreads the teleport share a over the seeds only, so a ring of unverified accounts that
// trade among themselves receives trust only through what honest members give it.
//
// Threading: none; a value computation.

#include <map>
#include <set>
#include <vector>

#include "ledger/core/rules.h"

namespace uurwerk {

struct exchange_edge {
    member_id helper;
    member_id receiver;
    minutes amount{0};
    time_ms at;
};
struct endorsement_edge {
    member_id from;
    member_id to;
    time_ms at;
};
struct dispute_edge {
    member_id by;       // the receiver who disputed
    member_id against;  // the claimant
    time_ms at;
};

struct reputation_params {
    double half_life_days = 180;         // age at which an exchange weighs half
    double dispute_half_life_days = 90;  // disputes fade faster than help
    double dispute_weight = 1.0;         // one fresh dispute cancels a doubling of hours
    double endorsement_weight = 0.5;     // an endorsement counts as half an hour of help
    double teleport = 0.15;              // the share of trust that returns to the seeds
    int iterations_max = 200;
    double tolerance = 1e-12;             // L1 change at which the iteration stops
    std::size_t contributions_shown = 5;  // "why": the main contributions per member
};

struct reputation_input {
    std::vector<member_id> members;  // every member of the community
    std::set<member_id> seeds;       // verified members and coordinators
    std::vector<exchange_edge> exchanges;
    std::vector<endorsement_edge> endorsements;
    std::vector<dispute_edge> disputes;
    time_ms now;
};

// One member's share in another's score: `from` passed on this part of it.
struct trust_contribution {
    member_id from;
    double share = 0;  // of the member's score, 0..1 (the seed share has from = 0)
};

struct reputation_result {
    // Scores normalized so that the mean over members is 1.0 (0 = no trust at all).
    std::map<member_id, double> score;
    // The main contributions to each member's score, largest first.
    std::map<member_id, std::vector<trust_contribution>> why;
    int iterations = 0;
};

[[nodiscard]] reputation_result compute_reputation(const reputation_input& in,
                                                   const reputation_params& p);

// The inputs of a community's reputation at `now`, read from its state: every member, the seeds
// (verified members and coordinators), confirmed claims, disputes and endorsements, in a fixed
// order (the state keeps them in hash maps, whose order differs between replicas).
[[nodiscard]] reputation_input reputation_input_of(const community_state& c, time_ms now);

// How reputation enters ranking: a bounded, diminishing factor in [1, 1 + weight_max), growing
// like 1 - exp(-score): the first bit of trust matters, more of it barely does.
[[nodiscard]] double reputation_factor(double score, double weight_max);

}  // namespace uurwerk
