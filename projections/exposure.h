#pragma once
// The arithmetic of fair exposure that the exposure projection (matching_fold.h) and the matcher
// (matching/fairness.h) share, and what the projection records of each helper (helper_exposure):
// so that what is recorded is exactly what the matcher ranks by, on every replica and for every
// auditor. In projections/ because the projection fold computes it and projections never
// include matching (ops/layers.txt); the matcher includes it from here. No verdict reads it.
//
// - position_weight(): how much of a round's attention a proposal at rank r of k gets.
// - match_exposure: what a match that begins adds.
// - shares_of_relevance() / relevance_shares(): how a round's unit of relevance is shared.
//
// Pure functions and values; threading: none.

#include <cstdint>
#include <vector>

#include "ledger/core/event.h"
#include "projections/fit.h"

namespace uurwerk {

// What the fairness layer knows of a helper, folded from the proposals and their answers.
struct helper_exposure {
    double relevance_sum = 0;        // the relevance share they were owed, round by round
    double exposure_sum = 0;         // the position weight of every proposal they got, and
                                     // match_exposure for every match of theirs that began
    std::uint32_t open_matches = 0;  // proposed or accepted, not yet declined, ended or lapsed
    bool operator==(const helper_exposure&) const = default;
};

// The position weight of rank r among k proposals: earlier is seen more (1, 1/2, 1/3, ...),
// normalized so the k weights sum to 1.
[[nodiscard]] double position_weight(std::uint32_t rank, std::size_t k);

// The exposure a match that begins adds to its helper's exposure_sum: a hundred rounds' worth of
// proposals. What fairness is for is who gets to help, not who is shown, and requesters choose
// among the proposals (preferring a good record): a helper whom they prefer must be proposed
// less until the others caught up, so a match outweighs any plausible run of proposals, and the
// proposals' weights order the helpers between matches. Measured with `bench fairness` (1,000
// members, 180 days, seeds 1 and 2): unfairness of matches 0.127 and 0.155 with 10, 0.121 and
// 0.142 with 30, 0.123 and 0.130 with 100 (matching/FAIRNESS.md).
inline constexpr double match_exposure = 100.0;

// Whether a candidate of relevance `relevance` is owed a share of a round's relevance: it fits
// (> 0) and is within the policy's quality floor of the best candidate (`best`), i.e. one that
// fairness may propose. Whether the helper is at the open-match cap does not matter: the
// fair share that fairness tracks counts every open offer that fits, busy or not.
[[nodiscard]] inline bool owed_relevance(double relevance, double best, double quality_floor) {
    return relevance > 0 && relevance >= quality_floor * best;
}

// Each relevance's share of the total of those owed one (owed_relevance against the best of
// them): the arithmetic of a round's unit of relevance, the same for the projection
// (relevance_shares below) and the matcher (matching/fairness.h). 0 for one owed nothing.
[[nodiscard]] std::vector<double> shares_of_relevance(const std::vector<double>& relevance,
                                                      double quality_floor);

// What a round for a request adds to each candidate's relevance_sum: their relevance's share of
// the total relevance of the candidates owed one (owed_relevance: within the quality floor of
// the community's knobs, at the open-match cap or not), so every round hands out exactly one
// unit. Same order as `offers`; 0 for one that is owed nothing.
[[nodiscard]] std::vector<double> relevance_shares(const fairness_knobs& knobs,
                                                   const std::vector<fitting_offer>& offers);

}  // namespace uurwerk
