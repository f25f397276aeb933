#include "matching/fairness.h"

#include <algorithm>
#include <cmath>

#include "projections/reputation.h"

namespace uurwerk {
namespace {

bool eligible(const candidate& c, const fairness_policy& p) {
    return c.relevance > 0 && c.open_matches < p.open_matches_max;
}

// The least relevance a helper is taken to be owed, for the ratio: far below one round's share.
constexpr double owed_min = 1e-9;

// The tie-break of every order: member id, then offer id.
bool by_id(const candidate& a, const candidate& b) {
    return a.helper.value != b.helper.value ? a.helper.value < b.helper.value : a.offer < b.offer;
}

// Appends candidates `order[...]` to `out` as picks ranked after those already in it, one per
// helper (`taken` holds the helpers already picked), until `out` holds `size_max`.
void append_distinct(const std::vector<candidate>& cs, const std::vector<std::size_t>& order,
                     std::size_t rank_base, std::size_t size_max, std::vector<std::uint64_t>& taken,
                     std::vector<proposal_pick>& out) {
    for (std::size_t i : order) {
        if (out.size() == size_max) break;
        if (std::find(taken.begin(), taken.end(), cs[i].helper.value) != taken.end()) continue;
        taken.push_back(cs[i].helper.value);
        out.push_back(
            {cs[i].helper, cs[i].offer, static_cast<std::uint32_t>(rank_base + out.size()), 0});
    }
}

}  // namespace

std::uint64_t tie_hash(const event_id& request, member_id helper) {
    // SplitMix64's finalizer over the request's bytes and the helper: cheap, and the same on
    // every machine.
    auto mix = [](std::uint64_t z) {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    std::uint64_t lo = 0, hi = 0;
    for (int i = 0; i < 8; ++i) {
        lo |= static_cast<std::uint64_t>(request.b[i]) << (8 * i);
        hi |= static_cast<std::uint64_t>(request.b[8 + i]) << (8 * i);
    }
    return mix(mix(lo ^ mix(hi)) ^ (helper.value * 0x9e3779b97f4a7c15ULL));
}

fairness_policy fairness_from(const fairness_knobs& knobs) {
    const auto k = resolved(knobs);
    fairness_policy p;
    p.on = !k.off;
    p.proposals_per_request = k.proposals_per_request;
    p.open_matches_max = k.open_matches_max;
    p.newcomer_floor = std::chrono::hours(k.newcomer_floor_hours);
    p.quality_floor = k.quality_floor_permille / 1000.0;
    p.reputation_weight_max = k.reputation_weight_max_permille / 1000.0;
    p.request_wait_max = std::chrono::hours(k.request_wait_hours_max);
    p.silence_floor = std::chrono::hours(k.silence_floor_hours);
    p.silent_proposals_max = k.silent_proposals_max;
    p.unmatched_first_proposals = k.unmatched_first_proposals;
    p.match_silence = std::chrono::hours(k.match_silence_hours);
    return p;
}

bool match_due(const candidate& c, const fairness_policy& p, time_ms now) {
    return p.on && p.match_silence.count() > 0 && c.open_matches == 0 &&
           now.value - c.matched_at.value >= p.match_silence.count();
}

std::vector<double> relevance_shares(const std::vector<candidate>& cs, const fairness_policy& p) {
    std::vector<double> relevance;
    relevance.reserve(cs.size());
    for (const auto& c : cs) relevance.push_back(c.relevance);
    return shares_of_relevance(relevance, p.quality_floor);
}

std::vector<proposal_pick> pick_proposals(const std::vector<candidate>& cs,
                                          const fairness_policy& p, time_ms now) {
    std::vector<std::size_t> order;
    double best = 0;
    for (std::size_t i = 0; i < cs.size(); ++i)
        if (eligible(cs[i], p)) {
            order.push_back(i);
            best = std::max(best, cs[i].relevance);
        }
    auto ids_before = [&](std::size_t a, std::size_t b) { return by_id(cs[a], cs[b]); };
    if (!p.on) {
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const double x =
                cs[a].relevance * reputation_factor(cs[a].reputation, p.reputation_weight_max);
            const double y =
                cs[b].relevance * reputation_factor(cs[b].reputation, p.reputation_weight_max);
            if (x != y) return x > y;
            return cs[a].tie != cs[b].tie ? cs[a].tie < cs[b].tie : ids_before(a, b);
        });
    } else {
        // Newcomers who waited past the floor first (longest wait first), then the helpers due
        // a match (match_silence: longest since their last match first), then the others by
        // the exposure they received per unit of relevance they were owed, least first, among
        // the candidates that fit well enough.
        auto waited = [&](std::size_t i) {
            return cs[i].proposals_received == 0 &&
                   now.value - cs[i].offered_at.value >= p.newcomer_floor.count();
        };
        std::erase_if(order, [&](std::size_t i) {
            return !owed_relevance(cs[i].relevance, best, p.quality_floor) && !waited(i);
        });
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const bool wa = waited(a), wb = waited(b);
            if (wa != wb) return wa;
            if (wa) {
                if (cs[a].offered_at != cs[b].offered_at)
                    return cs[a].offered_at.value < cs[b].offered_at.value;
                return ids_before(a, b);
            }
            const bool da = match_due(cs[a], p, now), db = match_due(cs[b], p, now);
            if (da != db) return da;
            if (da) {
                if (cs[a].matched_at != cs[b].matched_at)
                    return cs[a].matched_at.value < cs[b].matched_at.value;
                return ids_before(a, b);
            }
            // exposure_a / relevance_a < exposure_b / relevance_b, without dividing (a helper
            // owed nothing yet counts as owed very little).
            const double xa = cs[a].exposure_sum * std::max(cs[b].relevance_sum, owed_min);
            const double xb = cs[b].exposure_sum * std::max(cs[a].relevance_sum, owed_min);
            if (xa != xb) return xa < xb;
            return cs[a].relevance != cs[b].relevance ? cs[a].relevance > cs[b].relevance
                                                      : ids_before(a, b);
        });
    }
    // One proposal per helper per request; fewer when the first has had no match yet, one when
    // the first is due a match.
    std::size_t size_max = p.proposals_per_request;
    if (p.on && !order.empty() && cs[order.front()].exposure_sum < match_exposure)
        size_max = std::min(size_max, p.unmatched_first_proposals);
    if (!order.empty() && match_due(cs[order.front()], p, now)) size_max = 1;
    std::vector<proposal_pick> out;
    std::vector<std::uint64_t> taken;
    append_distinct(cs, order, 0, size_max, taken, out);
    for (auto& o : out) o.exposure = position_weight(o.rank, out.size());
    return out;
}

std::vector<proposal_pick> pick_silent_offers(const std::vector<candidate>& cs,
                                              const std::vector<proposal_pick>& picked,
                                              const fairness_policy& p, time_ms now) {
    std::vector<proposal_pick> out;
    if (!p.on) return out;
    double best = 0;
    for (const auto& c : cs)
        if (eligible(c, p)) best = std::max(best, c.relevance);
    std::vector<std::size_t> silent;
    for (std::size_t i = 0; i < cs.size(); ++i) {
        const auto& c = cs[i];
        if (c.proposals_received > 0 && c.open_matches == 0 && eligible(c, p) &&
            owed_relevance(c.relevance, best, p.quality_floor) &&
            now.value - c.heard_at.value >= p.silence_floor.count())
            silent.push_back(i);
    }
    std::sort(silent.begin(), silent.end(), [&](std::size_t a, std::size_t b) {
        if (cs[a].heard_at != cs[b].heard_at) return cs[a].heard_at.value < cs[b].heard_at.value;
        return by_id(cs[a], cs[b]);
    });
    std::vector<std::uint64_t> taken;
    for (const auto& pick : picked) taken.push_back(pick.helper.value);
    append_distinct(cs, silent, picked.size(), p.silent_proposals_max, taken, out);
    return out;
}

}  // namespace uurwerk
