#include "ledger/core/fairness_knobs.h"

#include "ledger/core/limits.h"

namespace uurwerk {

fairness_knobs resolved(const fairness_knobs& k) {
    auto or_default = [](std::uint32_t v, std::uint32_t d) { return v == 0 ? d : v; };
    fairness_knobs r = k;
    r.proposals_per_request = or_default(k.proposals_per_request, 3);
    r.open_matches_max = or_default(k.open_matches_max, 4);
    r.newcomer_floor_hours = or_default(k.newcomer_floor_hours, 72);
    r.quality_floor_permille = or_default(k.quality_floor_permille, 500);
    r.reputation_weight_max_permille = or_default(k.reputation_weight_max_permille, 200);
    r.low_reputation_proposals_min = or_default(k.low_reputation_proposals_min, 1);
    r.reputation_half_life_days = or_default(k.reputation_half_life_days, 180);
    r.request_wait_hours_max = or_default(k.request_wait_hours_max, 48);
    r.silence_floor_hours = or_default(k.silence_floor_hours, 336);
    r.silent_proposals_max = or_default(k.silent_proposals_max, 17);
    r.unmatched_first_proposals = or_default(k.unmatched_first_proposals, round_proposals_max);
    // match_silence_hours: 0 stays 0, no such rule (old logs propose as before).
    return r;
}

bool within_ranges(const fairness_knobs& k) {
    auto within = [](std::uint32_t v, std::uint32_t max) { return v == 0 || v <= max; };
    const auto r = resolved(k);
    return within(k.proposals_per_request, round_proposals_max) &&
           within(k.open_matches_max, 100) && within(k.newcomer_floor_hours, 8760) &&
           within(k.quality_floor_permille, 1000) &&
           within(k.reputation_weight_max_permille, 1000) &&
           within(k.low_reputation_proposals_min, round_proposals_max) &&
           r.low_reputation_proposals_min <= r.proposals_per_request &&
           within(k.reputation_half_life_days, 3650) && within(k.request_wait_hours_max, 8760) &&
           within(k.silence_floor_hours, 8760) &&
           within(k.silent_proposals_max, round_proposals_max) &&
           within(k.unmatched_first_proposals, round_proposals_max) &&
           within(k.match_silence_hours, 8760);
}

}  // namespace uurwerk
