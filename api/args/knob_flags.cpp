#include "api/args/knob_flags.h"

namespace uurwerk::cli {

const std::vector<knob_flag>& knob_flags() {
    using k = fairness_knobs;
    static const std::vector<knob_flag> flags = {
        {"proposals-per-request", &k::proposals_per_request,
         "proposals per request and round, 1..20 (3)"},
        {"open-matches-max", &k::open_matches_max,
         "open matches a helper may have at once, 1..100 (4)"},
        {"newcomer-floor-hours", &k::newcomer_floor_hours,
         "an offer that waited this long without a proposal goes first (72)"},
        {"quality-floor-permille", &k::quality_floor_permille,
         "only candidates at least this share of the best fit, 1..1000 (500)"},
        {"reputation-weight-max-permille", &k::reputation_weight_max_permille,
         "reputation multiplies relevance by at most 1 + N/1000 (200)"},
        {"low-reputation-proposals-min", &k::low_reputation_proposals_min,
         "proposals served first to requests of members with little reputation (1)"},
        {"reputation-half-life-days", &k::reputation_half_life_days,
         "age at which help weighs half (180)"},
        {"request-wait-hours-max", &k::request_wait_hours_max,
         "a request waiting this long without a match is served again, 1..8760 (48)"},
        {"silence-floor-hours", &k::silence_floor_hours,
         "an offer not proposed for this long is proposed beyond the others, 1..8760 (336)"},
        {"silent-proposals-max", &k::silent_proposals_max,
         "the most such proposals per request and round, 1..20 (17)"},
        {"unmatched-first-proposals", &k::unmatched_first_proposals,
         "proposals for a request whose first-ranked helper has had no match yet, 1..20 (20)"},
        {"match-silence-hours", &k::match_silence_hours,
         "a helper with no match for this long goes first, proposed alone, 1..8760 (0: off)"},
    };
    return flags;
}

std::vector<option_spec> knob_options() {
    std::vector<option_spec> out = {{"fairness", "on|off", "the matcher's fairness layer (on)"}};
    for (const auto& f : knob_flags()) out.push_back({f.name, "N", f.help});
    return out;
}

result<void> read_knob_flags(const parsed_args& a, fairness_knobs& k) {
    if (auto f = a.get("fairness")) {
        if (*f != "on" && *f != "off")
            return make_error(errc::bad_argument, "--fairness is on or off, not '" + *f + "'");
        k.off = *f == "off";
    }
    for (const auto& f : knob_flags()) {
        if (!a.has(f.name)) continue;
        auto v = a.get_u64(f.name);
        if (!v) return v.err();
        if (*v > 1'000'000) return make_error(errc::bad_argument, "--" + f.name + " is too large");
        k.*f.field = static_cast<std::uint32_t>(*v);
    }
    return ok_value;
}

}  // namespace uurwerk::cli
