#include "matching/matcher.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>

#include "ledger/core/crypto.h"
#include "ledger/core/fairness_knobs.h"
#include "matching/fairness.h"
#include "projections/fit.h"
#include "projections/reputation.h"

namespace uurwerk {
namespace {

struct pending_request {
    event_id id;
    const post_state* post = nullptr;
    bool low_reputation = false;
    bool past_bound = false;  // waited longer than the wait bound (fairness on)
    const request_history* history = nullptr;
    std::vector<proposal_pick> picks;
    // Its ranked picks were cut (to unmatched_first_proposals, or to a helper due a match): no
    // silent ones.
    bool cut = false;
};

void put_be(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

event_id proposal_id(community_id c, const event_id& request, std::uint32_t round,
                     std::uint32_t rank) {
    static constexpr std::string_view tag = "uurwerk/match-id/v1";
    std::vector<std::uint8_t> numbers;
    put_be(numbers, c.value, 8);
    numbers.insert(numbers.end(), request.b.begin(), request.b.end());
    put_be(numbers, round, 4);
    put_be(numbers, rank, 4);
    const auto d =
        sha256({byte_view(reinterpret_cast<const std::uint8_t*>(tag.data()), tag.size()), numbers});
    event_id id;
    std::copy_n(d.b.begin(), id.b.size(), id.b.begin());
    return id;
}

time_ms reputation_day(const community_state& s) {
    constexpr std::int64_t day_ms = 24 * 3'600'000;
    const std::int64_t t = s.clock.value;
    return time_ms{t - ((t % day_ms) + day_ms) % day_ms};
}

std::map<member_id, double> round_reputation(const community_state& s) {
    reputation_params rp;
    rp.half_life_days = resolved(s.rules.fairness).reputation_half_life_days;
    return compute_reputation(reputation_input_of(s, reputation_day(s)), rp).score;
}

request_history history_of(const community_state& c, const event_id& request, time_ms now,
                           std::optional<std::chrono::milliseconds> hold_max) {
    request_history h;
    auto ms = c.matches_of_post.find(request);
    if (ms == c.matches_of_post.end()) return h;
    for (const auto& match : ms->second) {
        const auto& m = c.matches.at(match);
        if (m.status == match_status::accepted) h.accepted = true;
        if (m.status == match_status::proposed) {
            h.pending.insert(m.helper);
            if (!hold_max || now.value - m.proposed_time.value < hold_max->count())
                h.holding = true;
        }
        h.last_round = std::max(h.last_round.value_or(0), m.round);
        h.proposed.insert(m.helper);
    }
    return h;
}

std::vector<proposal> propose(community_id c, const community_state& s,
                              const community_matching& cm) {
    return propose(c, s, cm, round_reputation(s));
}

std::vector<proposal> propose(community_id c, const community_state& s,
                              const community_matching& cm,
                              const std::map<member_id, double>& reputation) {
    const time_ms now = s.clock;
    const auto knobs = resolved(s.rules.fairness);
    const auto policy = fairness_from(s.rules.fairness);

    auto score = [&](member_id m) {
        auto it = reputation.find(m);
        return it == reputation.end() ? 0.0 : it->second;
    };

    // The open requests and what their matches so far say (both indexed in the state).
    std::unordered_map<event_id, request_history> histories;
    std::vector<pending_request> requests;
    // Every open request, in no particular order: they are sorted below.
    std::vector<event_id> open;
    for (std::size_t i = 0; i < category_count; ++i)
        cm.queues.open(post_side::request, static_cast<category>(i))
            .for_each([&](const post_bucket& b, std::size_t k) { open.push_back(b.ids()[k]); });
    for (const auto& id : open) {
        const auto& p = s.posts.at(id);
        UURWERK_ASSERT(!p.is_offer && p.status == post_status::open, id.hex());
        auto member = s.members.find(p.owner);
        if (member == s.members.end() || member->second.suspended) continue;
        // An unanswered proposal that waited past the bound no longer holds the request (the
        // requester may never answer), with fairness on and off alike.
        auto& h = histories[id] = history_of(s, id, now, policy.request_wait_max);
        if (h.accepted || h.holding) continue;
        const bool past_bound = now.value - p.posted_time.value >= policy.request_wait_max.count();
        requests.push_back({id,
                            &p,
                            policy.on && score(p.owner) < low_reputation_score,
                            past_bound,
                            &h,
                            {},
                            false});
    }
    // Oldest first (the log order of the posts).
    std::sort(requests.begin(), requests.end(),
              [](const auto& a, const auto& b) { return a.post->posted_at < b.post->posted_at; });

    // What this round has given so far, on top of the folded exposure.
    std::map<member_id, helper_exposure> exposure(cm.exposure.begin(), cm.exposure.end());
    // Requests alike (category, area, times, how often) have the same fitting offers but their
    // own: found once per round.
    std::map<std::tuple<category, intensity, std::uint32_t, std::string>,
             std::vector<fitting_offer>>
        fitting;
    auto fitting_for = [&](const post_state& request) -> const std::vector<fitting_offer>& {
        auto key =
            std::make_tuple(request.what, request.how_often, request.availability, request.area);
        auto it = fitting.find(key);
        if (it == fitting.end()) {
            post_state anyone = request;
            anyone.owner = member_id{0};  // nobody's: each request leaves out its owner's below
            it = fitting.emplace(std::move(key), fitting_offers(cm.queues, anyone)).first;
        }
        return it->second;
    };
    // Whether `o` may be proposed for `r`: never to its owner or with a proposal for it still
    // unanswered; `fresh`: never proposed for it, else: proposed before and answered.
    auto proposable = [&](const pending_request& r, const fitting_offer& o, bool fresh) {
        return o.helper != r.post->owner && !r.history->pending.contains(o.helper) &&
               r.history->proposed.contains(o.helper) != fresh;
    };
    // The end of an offer's last match, or its posting (candidate::matched_at), once per offer
    // and round; only read when the policy has a match silence.
    std::unordered_map<event_id, time_ms> matched_at;
    auto matched_at_of = [&](const event_id& id, const post_state& offer) {
        if (policy.match_silence.count() == 0) return time_ms{};
        auto [it, added] = matched_at.try_emplace(id, offer.posted_time);
        if (!added) return it->second;
        if (auto ms = s.matches_of_post.find(id); ms != s.matches_of_post.end())
            for (const auto& match : ms->second) {
                const auto& m = s.matches.at(match);
                if (m.status == match_status::ended && m.ended_time.value > it->second.value)
                    it->second = m.ended_time;
            }
        return it->second;
    };
    // The request's candidates (proposable), never one already picked this round.
    auto candidates_for = [&](const pending_request& r, bool fresh) {
        std::vector<candidate> cands;
        for (const auto& o : fitting_for(*r.post)) {
            if (!proposable(r, o, fresh)) continue;
            const bool taken = std::any_of(r.picks.begin(), r.picks.end(),
                                           [&](const auto& p) { return p.helper == o.helper; });
            if (taken) continue;
            const auto& e = exposure[o.helper];
            const auto& offer = s.posts.at(o.offer);
            cands.push_back({o.helper, o.offer, o.relevance, score(o.helper), e.open_matches,
                             offer.posted_time, offer.proposals, e.relevance_sum, e.exposure_sum,
                             offer.heard_time, tie_hash(r.id, o.helper),
                             matched_at_of(o.offer, offer)});
        }
        return cands;
    };
    // The round serves the round_requests_max oldest requests that get a proposal, among those
    // that some helper is free for (a fitting offer under the open-match cap whom the request
    // may be proposed) in the round_requests_looked_max oldest: requests that nobody can take
    // now (all their helpers busy, before the round or by its earlier picks) must not fill
    // every round and keep newer ones, whose helpers are free, from help.
    auto someone_free = [&](const pending_request& r) {
        for (const auto& o : fitting_for(*r.post)) {
            if (!proposable(r, o, true) && !(r.past_bound && proposable(r, o, false))) continue;
            auto e = cm.exposure.find(o.helper);
            if (e == cm.exposure.end() || e->second.open_matches < policy.open_matches_max)
                return true;
        }
        return false;
    };
    {
        std::vector<pending_request> served;
        for (std::size_t i = 0; i < requests.size() && i < round_requests_looked_max; ++i)
            if (someone_free(requests[i])) served.push_back(requests[i]);
        requests = std::move(served);
    }
    auto serve = [&](pending_request& r, std::size_t wanted) {
        if (r.picks.size() >= wanted || r.cut) return;
        auto cands = candidates_for(r, true);
        if (r.picks.empty()) {
            // The round's unit of relevance, as the fold will hand it out at rank 0.
            const auto shares = relevance_shares(cands, policy);
            for (std::size_t i = 0; i < cands.size(); ++i)
                exposure[cands[i].helper].relevance_sum += shares[i];
            for (auto& cand : cands) cand.relevance_sum = exposure[cand.helper].relevance_sum;
        }
        auto p = policy;
        p.proposals_per_request = wanted - r.picks.size();
        auto picks = pick_proposals(cands, p, now);
        if (r.picks.empty() && !picks.empty() &&
            policy.unmatched_first_proposals < policy.proposals_per_request)
            for (const auto& cand : cands)
                if (cand.helper == picks.front().helper) r.cut = cand.exposure_sum < match_exposure;
        if (r.picks.empty() && !picks.empty())
            for (const auto& cand : cands)
                if (cand.helper == picks.front().helper && match_due(cand, policy, now))
                    r.cut = true;
        // Past the wait bound a helper who was proposed before (and declined, or whose
        // proposal lapsed) is better than nobody, when no fresh one is free.
        if (picks.empty() && r.picks.empty() && r.past_bound)
            picks = pick_proposals(candidates_for(r, false), p, now);
        for (const auto& pick : picks) {
            r.picks.push_back(pick);
            auto& e = exposure[pick.helper];
            e.open_matches += 1;
            e.exposure_sum += pick.exposure;
        }
    };
    // Requests that got a pick, at most round_requests_max: one without may still get one
    // while there is room. `add` gives `r` picks.
    std::size_t with_picks = 0;
    auto counted = [&](pending_request& r, auto&& add) {
        if (r.picks.empty() && with_picks == round_requests_max) return;
        const bool had = !r.picks.empty();
        add(r);
        if (!had && !r.picks.empty()) ++with_picks;
    };
    if (policy.on)
        for (auto& r : requests)
            if (r.low_reputation)
                counted(r, [&](auto& x) { serve(x, knobs.low_reputation_proposals_min); });
    for (auto& r : requests) counted(r, [&](auto& x) { serve(x, policy.proposals_per_request); });
    // Then the silent offers, beyond the ranked picks (fairness on). A helper proposed earlier in
    // this round has an open match now, so is not silent for the next request. (The fold weighs
    // every proposal of the round by its rank among all of them; the exposure this round adds
    // for later requests is the ranked picks' own weights, an estimate.)
    if (policy.on)
        for (auto& r : requests)
            counted(r, [&](auto& x) {
                if (x.cut) return;
                for (const auto& pick :
                     pick_silent_offers(candidates_for(x, true), x.picks, policy, now)) {
                    x.picks.push_back(pick);
                    exposure[pick.helper].open_matches += 1;
                }
            });

    std::vector<proposal> out;
    for (const auto& r : requests) {
        const std::uint32_t round = r.history->last_round ? *r.history->last_round + 1 : 0;
        const auto size = static_cast<std::uint32_t>(r.picks.size());
        for (std::uint32_t rank = 0; rank < size; ++rank) {
            const auto& pick = r.picks[rank];
            out.push_back({proposal_id(c, r.id, round, rank), r.id, pick.offer, r.post->owner,
                           pick.helper, round, rank, size, s.events});
        }
    }
    return out;
}

event_body proposal_body(community_id c, const proposal& p, std::size_t i, time_ms round_clock) {
    UURWERK_ASSERT(i + 1 < round_seq_stride, i);
    return event_body{
        p.id,
        c,
        community_fund,
        sequence{p.basis * round_seq_stride + i + 1},
        round_clock,
        std::nullopt,
        match_proposed{p.request, p.offer, p.helper, p.round, p.rank, p.round_size, p.basis}};
}

proposal proposal_of(const event_body& body, member_id requester) {
    const auto& m = std::get<match_proposed>(body.payload);
    return {body.id, m.request, m.offer,      requester, m.helper,
            m.round, m.rank,    m.round_size, m.basis};
}

}  // namespace uurwerk
