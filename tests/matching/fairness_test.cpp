// The fairness layer's picking (matching/fairness.h): over many requests each helper's share of
// proposals tracks their share of relevance with fairness on, and collapses onto the most
// reputed with it off; a newcomer who waited past the floor is proposed first; nobody over the
// open-match cap is proposed; poor fits are never proposed for fairness' sake; a ring with the
// same relevance as honest helpers gets no larger share.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>

#include "matching/fairness.h"

using namespace uurwerk;

namespace {

const time_ms now{1'800'000'000'000};

event_id offer_of(std::uint64_t helper) {
    event_id id;
    id.b[0] = static_cast<std::uint8_t>(helper);
    id.b[1] = static_cast<std::uint8_t>(helper >> 8);
    return id;
}

// Runs `requests` rounds over the same helpers, feeding back relevance and exposure; returns
// each helper's share of proposals.
std::map<std::uint64_t, double> run_rounds(std::vector<candidate> helpers, bool fairness_on,
                                           int requests) {
    fairness_policy p;
    p.on = fairness_on;
    std::map<std::uint64_t, double> got;
    double total = 0;
    for (int r = 0; r < requests; ++r) {
        const auto shares = relevance_shares(helpers, p);
        for (std::size_t i = 0; i < helpers.size(); ++i) helpers[i].relevance_sum += shares[i];
        for (const auto& pick : pick_proposals(helpers, p, now)) {
            for (auto& h : helpers)
                if (h.helper == pick.helper) {
                    h.exposure_sum += pick.exposure;
                    ++h.proposals_received;
                }
            got[pick.helper.value] += pick.exposure;
            total += pick.exposure;
        }
    }
    for (auto& [h, g] : got) g /= total;
    return got;
}

std::vector<candidate> helpers_with(const std::vector<double>& relevance,
                                    const std::vector<double>& reputation) {
    std::vector<candidate> out;
    for (std::size_t i = 0; i < relevance.size(); ++i) {
        candidate c;
        c.helper = member_id{i + 1};
        c.offer = offer_of(i + 1);
        c.relevance = relevance[i];
        c.reputation = reputation[i];
        c.offered_at = now;
        out.push_back(c);
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fairness)

BOOST_AUTO_TEST_CASE(a_policy_without_knobs_gives_the_layers_defaults) {
    const fairness_policy d;
    const auto p = fairness_from(fairness_knobs{});
    BOOST_CHECK(p.on == d.on);
    BOOST_CHECK_EQUAL(p.proposals_per_request, d.proposals_per_request);
    BOOST_CHECK_EQUAL(p.open_matches_max, d.open_matches_max);
    BOOST_CHECK(p.newcomer_floor == d.newcomer_floor);
    BOOST_CHECK_EQUAL(p.quality_floor, d.quality_floor);
    BOOST_CHECK_EQUAL(p.reputation_weight_max, d.reputation_weight_max);
    BOOST_CHECK(p.request_wait_max == d.request_wait_max);
    BOOST_CHECK(p.silence_floor == d.silence_floor);
    BOOST_CHECK_EQUAL(p.silent_proposals_max, d.silent_proposals_max);
    BOOST_CHECK_EQUAL(p.unmatched_first_proposals, d.unmatched_first_proposals);
    BOOST_CHECK_EQUAL(p.unmatched_first_proposals, 20u);  // no cut: 20 >= any round's size
    fairness_knobs one;
    one.unmatched_first_proposals = 1;
    BOOST_CHECK_EQUAL(fairness_from(one).unmatched_first_proposals, 1u);
    BOOST_CHECK(p.match_silence == d.match_silence);
    BOOST_CHECK_EQUAL(p.match_silence.count(), 0);  // no such rule: old logs propose as before
    one.match_silence_hours = 168;
    BOOST_CHECK(fairness_from(one).match_silence == std::chrono::hours(168));
    // Four open matches: with three, weekly buddies kept the companionship helpers at the cap,
    // and new matches went to whoever's relationship ended, not where the layer ordered
    // (matching/FAIRNESS.md, "The simulated town").
    BOOST_CHECK_EQUAL(p.open_matches_max, 4u);
}

BOOST_AUTO_TEST_CASE(shares_of_proposals_track_shares_of_relevance_only_with_fairness_on) {
    // Ten equally relevant helpers; one has a long record.
    std::vector<double> relevance(10, 0.8), reputation(10, 0.1);
    reputation[0] = 5;
    auto on = run_rounds(helpers_with(relevance, reputation), true, 300);
    auto off = run_rounds(helpers_with(relevance, reputation), false, 300);
    double tv_on = 0, tv_off = 0;
    for (std::uint64_t h = 1; h <= 10; ++h) {
        tv_on += std::abs(on[h] - 0.1);
        tv_off += std::abs(off[h] - 0.1);
    }
    tv_on /= 2;
    tv_off /= 2;
    BOOST_TEST_MESSAGE("total variation: on " << tv_on << ", off " << tv_off);
    BOOST_CHECK_LT(tv_on, 0.02);
    BOOST_CHECK_GT(tv_off, 0.6);  // three helpers take everything, the reputed one most
    BOOST_CHECK_GT(off[1], on[1]);
}

BOOST_AUTO_TEST_CASE(a_newcomer_who_waited_past_the_floor_goes_first_and_the_cap_holds) {
    fairness_policy p;
    auto hs = helpers_with({0.9, 0.9, 0.6, 0.9}, {3, 3, 0, 3});
    hs[2].offered_at = time_ms{now.value - 4 * 86'400'000};  // waited four days, never proposed
    hs[3].open_matches = p.open_matches_max;                 // busy enough
    auto picks = pick_proposals(hs, p, now);
    BOOST_REQUIRE_EQUAL(picks.size(), 3u);
    BOOST_CHECK_EQUAL(picks[0].helper.value, 3u);
    for (const auto& pick : picks) BOOST_CHECK_NE(pick.helper.value, 4u);
    double sum = 0;
    for (const auto& pick : picks) sum += pick.exposure;
    BOOST_CHECK_CLOSE(sum, 1.0, 1e-9);
}

BOOST_AUTO_TEST_CASE(matches_track_relevance_when_a_match_outweighs_proposals) {
    // Five helpers fit well (1.0), five less well (0.6, within the quality floor): the first
    // five are owed 1.0 / 1.6 of every round's relevance. Each round the requester takes the
    // first proposal, and the match adds match_exposure: exposure grows a hundred times faster
    // than relevance. Ordered by exposure per relevance, the matches still go 62.5 : 37.5;
    // ordered by relevance minus exposure they would go about 50 : 50 (by exposure alone).
    std::vector<double> relevance{1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.6, 0.6, 0.6, 0.6};
    auto hs = helpers_with(relevance, std::vector<double>(10, 1.0));
    for (auto& h : hs) h.proposals_received = 1;  // not newcomers
    fairness_policy p;
    int good_fit_matches = 0;
    const int rounds = 800;
    for (int r = 0; r < rounds; ++r) {
        const auto shares = relevance_shares(hs, p);
        for (std::size_t i = 0; i < hs.size(); ++i) hs[i].relevance_sum += shares[i];
        const auto picks = pick_proposals(hs, p, now);
        BOOST_REQUIRE_EQUAL(picks.size(), 3u);
        for (const auto& pick : picks) {
            auto& h = hs[pick.helper.value - 1];
            h.exposure_sum += pick.exposure + (pick.rank == 0 ? match_exposure : 0.0);
        }
        if (picks[0].helper.value <= 5) ++good_fit_matches;
    }
    const double share = static_cast<double>(good_fit_matches) / rounds;
    BOOST_TEST_MESSAGE("share of matches to the better fits: " << share);
    BOOST_CHECK_CLOSE(share, 0.625, 2.0);  // percent
}

BOOST_AUTO_TEST_CASE(silent_offers_are_proposed_beyond_the_ranked_ones_least_recently_first) {
    constexpr std::int64_t day = 86'400'000;
    auto hs = helpers_with({0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.2}, std::vector<double>(8, 1.0));
    for (auto& h : hs) {
        h.proposals_received = 1;
        h.heard_at = time_ms{now.value - day};  // heard yesterday
    }
    hs[3].heard_at = time_ms{now.value - 10 * day};
    hs[4].heard_at = time_ms{now.value - 8 * day};
    hs[5].heard_at = time_ms{now.value - 20 * day};
    hs[6].heard_at = time_ms{now.value - 30 * day};
    hs[6].open_matches = 1;                          // silent, but busy helping
    hs[7].heard_at = time_ms{now.value - 30 * day};  // silent, but a poor fit
    fairness_policy p;
    p.silence_floor = std::chrono::hours(7 * 24);
    p.silent_proposals_max = 2;
    const auto picked = pick_proposals(hs, p, now);
    BOOST_REQUIRE_EQUAL(picked.size(), 3u);
    const auto silent = pick_silent_offers(hs, picked, p, now);
    BOOST_REQUIRE_EQUAL(silent.size(), 2u);
    BOOST_CHECK_EQUAL(silent[0].helper.value, 6u);  // 20 days
    BOOST_CHECK_EQUAL(silent[1].helper.value, 4u);  // 10 days (then 5, 8 days: over the max)
    BOOST_CHECK_EQUAL(silent[0].rank, 3u);
    BOOST_CHECK_EQUAL(silent[1].rank, 4u);
    for (const auto& s : silent)
        for (const auto& r : picked) BOOST_CHECK_NE(s.helper.value, r.helper.value);
    p.silent_proposals_max = 20;
    BOOST_CHECK_EQUAL(pick_silent_offers(hs, picked, p, now).size(), 3u);  // 6, 4, 5
    p.silence_floor = std::chrono::hours(24 * 9);
    BOOST_CHECK_EQUAL(pick_silent_offers(hs, picked, p, now).size(), 2u);  // 6, 4
    p.on = false;
    BOOST_CHECK(pick_silent_offers(hs, picked, p, now).empty());
}

BOOST_AUTO_TEST_CASE(a_poor_fit_is_not_proposed_for_fairness_sake) {
    fairness_policy p;
    auto hs = helpers_with({0.9, 0.2}, {1, 1});
    hs[1].relevance_sum = 100;  // owed a lot, but a poor fit for this request
    for (const auto& pick : pick_proposals(hs, p, now)) BOOST_CHECK_NE(pick.helper.value, 2u);
}

BOOST_AUTO_TEST_CASE(a_ring_with_the_same_relevance_gets_no_larger_share) {
    // 20 ring accounts with high reputation scores (say they pumped them) and 20 honest ones,
    // all equally relevant: with fairness on, the ring's share is the honest share.
    std::vector<double> relevance(40, 0.7), reputation(40, 0.5);
    for (int i = 0; i < 20; ++i) reputation[static_cast<std::size_t>(i)] = 8;
    auto on = run_rounds(helpers_with(relevance, reputation), true, 400);
    double ring = 0;
    for (std::uint64_t h = 1; h <= 20; ++h) ring += on[h];
    BOOST_CHECK_LE(ring, 0.5 + 0.01);
}

BOOST_AUTO_TEST_CASE(picks_are_deterministic) {
    auto hs = helpers_with({0.5, 0.5, 0.5, 0.5}, {1, 1, 1, 1});
    fairness_policy p;
    auto a = pick_proposals(hs, p, now);
    auto b = pick_proposals(hs, p, now);
    BOOST_REQUIRE_EQUAL(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) BOOST_CHECK(a[i].helper == b[i].helper);
}

BOOST_AUTO_TEST_CASE(without_fairness_ties_break_by_a_hash_not_by_member_id) {
    // Six helpers alike in fit and reputation: by member id every request would go to helper 1
    // first; by the hash of request and helper the first place moves from request to request.
    fairness_policy p;
    p.on = false;
    std::map<std::uint64_t, int> first;
    const int requests = 600;
    for (int r = 0; r < requests; ++r) {
        auto hs = helpers_with({0.8, 0.8, 0.8, 0.8, 0.8, 0.8}, {1, 1, 1, 1, 1, 1});
        event_id request = offer_of(1000 + static_cast<std::uint64_t>(r));
        request.b[15] = 0x77;
        for (auto& h : hs) h.tie = tie_hash(request, h.helper);
        const auto picks = pick_proposals(hs, p, now);
        BOOST_REQUIRE_EQUAL(picks.size(), p.proposals_per_request);
        ++first[picks[0].helper.value];
        // The hash orders the picks: the least tie first.
        for (std::size_t i = 1; i < picks.size(); ++i)
            BOOST_CHECK_LT(tie_hash(request, picks[i - 1].helper),
                           tie_hash(request, picks[i].helper));
    }
    BOOST_CHECK_EQUAL(first.size(), 6u);
    for (const auto& [helper, n] : first) BOOST_CHECK_LT(n, 2 * requests / 6);  // about 100
    // A better score still wins over any hash.
    auto hs = helpers_with({0.8, 0.9, 0.8}, {1, 1, 1});
    for (auto& h : hs) h.tie = tie_hash(offer_of(7), h.helper);
    BOOST_CHECK_EQUAL(pick_proposals(hs, p, now)[0].helper.value, 2u);
}

namespace {

// A town of three helpers who fit equally, and requesters who take the proposed helper with the
// best record (the most matches; the first proposed among equals): the simulated requesters'
// preference for a record, at its extreme. Each request hands out its unit of relevance (1/3
// each), its proposals their position weights, and its match match_exposure.
std::map<std::uint64_t, int> matches_in_town(std::size_t unmatched_first_proposals, int requests) {
    fairness_policy p;
    p.unmatched_first_proposals = unmatched_first_proposals;
    auto helpers = helpers_with({1, 1, 1}, {1, 1, 1});
    std::map<std::uint64_t, int> matches;
    for (int r = 0; r < requests; ++r) {
        const auto shares = relevance_shares(helpers, p);
        for (std::size_t i = 0; i < helpers.size(); ++i) helpers[i].relevance_sum += shares[i];
        const auto picks = pick_proposals(helpers, p, now);
        BOOST_REQUIRE(!picks.empty());
        const proposal_pick* chosen = &picks.front();
        for (const auto& pick : picks)
            if (matches[pick.helper.value] > matches[chosen->helper.value]) chosen = &pick;
        for (auto& h : helpers)
            for (const auto& pick : picks)
                if (h.helper == pick.helper) {
                    h.exposure_sum += pick.exposure;
                    ++h.proposals_received;
                    if (&pick == chosen) h.exposure_sum += match_exposure;
                }
        ++matches[chosen->helper.value];
    }
    return matches;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_first_ranked_helper_without_a_match_is_proposed_alone_when_the_knob_says) {
    // Without the cut: request 1 proposes 1, 2, 3 (all equal, by id) and 1 is taken. Requests 2
    // and 3 rank 2 and 3 before 1 (1 received a match), but propose all three, and the
    // requester takes 1, the one with a record, each time: 3 matches for helper 1.
    const auto all = matches_in_town(20, 3);
    BOOST_CHECK_EQUAL(all.at(1), 3);
    BOOST_CHECK_EQUAL(all.at(2) + all.at(3), 0);
    // With one proposal while the first-ranked has had no match: 1, then 2, then 3 alone.
    const auto cut = matches_in_town(1, 3);
    BOOST_CHECK_EQUAL(cut.at(1), 1);
    BOOST_CHECK_EQUAL(cut.at(2), 1);
    BOOST_CHECK_EQUAL(cut.at(3), 1);
    // Once every helper had a match, the first-ranked has a record: three proposals again, and
    // the fourth match goes to the best record among them (all have one: the first proposed).
    fairness_policy p;
    p.unmatched_first_proposals = 1;
    auto helpers = helpers_with({1, 1, 1}, {1, 1, 1});
    for (auto& h : helpers) h.exposure_sum = match_exposure;
    BOOST_CHECK_EQUAL(pick_proposals(helpers, p, now).size(), 3u);
    // With fairness off the knob changes nothing.
    p.on = false;
    for (auto& h : helpers) h.exposure_sum = 0;
    BOOST_CHECK_EQUAL(pick_proposals(helpers, p, now).size(), 3u);
}

namespace {

constexpr std::int64_t day = 24 * 3'600'000;

// Four helpers who fit equally, each proposed before (no newcomer): 1 never had a match, its
// offer posted 2 days ago; 2's last match ended 10 days ago, 3's 8 days ago, 4's 1 day ago
// (each a match's exposure).
std::vector<candidate> helpers_since_a_match() {
    auto hs = helpers_with({1, 1, 1, 1}, {1, 1, 1, 1});
    const std::int64_t since[] = {2, 10, 8, 1};
    for (std::size_t i = 0; i < hs.size(); ++i) {
        hs[i].proposals_received = 1;
        hs[i].relevance_sum = 1;
        hs[i].exposure_sum = i == 0 ? 1 : match_exposure;
        hs[i].matched_at = time_ms{now.value - since[i] * day};
        hs[i].offered_at = time_ms{now.value - 2 * day - (i == 0 ? 0 : 30 * day)};
    }
    return hs;
}

std::vector<std::uint64_t> picked(const std::vector<candidate>& hs, const fairness_policy& p) {
    std::vector<std::uint64_t> out;
    for (const auto& pick : pick_proposals(hs, p, now)) out.push_back(pick.helper.value);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_helper_due_a_match_is_proposed_first_and_alone_the_longest_since_first) {
    auto hs = helpers_since_a_match();
    fairness_policy p;
    // Without the rule: least exposure per relevance first (1, who never had a match), three.
    BOOST_CHECK((picked(hs, p) == std::vector<std::uint64_t>{1, 2, 3}));
    // With a week: 2 and 3 are due (10 and 8 days since their last match); 2 has waited longest
    // and is proposed alone, so that the requester's choice cannot pass them over.
    p.match_silence = std::chrono::hours(7 * 24);
    BOOST_CHECK((picked(hs, p) == std::vector<std::uint64_t>{2}));
    // A helper with an open match is not due (they hear from the community): 3 then.
    hs[1].open_matches = 1;
    BOOST_CHECK((picked(hs, p) == std::vector<std::uint64_t>{3}));
    // With nobody due, the ratio order and three proposals as without the rule.
    p.match_silence = std::chrono::hours(30 * 24);
    hs[1].open_matches = 0;
    BOOST_CHECK((picked(hs, p) == std::vector<std::uint64_t>{1, 2, 3}));
    // A due helper's own fit still counts: below the quality floor they are not proposed.
    p.match_silence = std::chrono::hours(7 * 24);
    hs[1].relevance = 0.4;
    BOOST_CHECK((picked(hs, p) == std::vector<std::uint64_t>{3}));
    // A newcomer who waited past the newcomer floor still goes before a due helper.
    hs[1].relevance = 1;
    hs[3].proposals_received = 0;
    hs[3].offered_at = time_ms{now.value - 4 * day};
    BOOST_CHECK_EQUAL(picked(hs, p).front(), 4u);
    // With fairness off the rule changes nothing: the popularity ranking, three proposals.
    p.on = false;
    BOOST_CHECK_EQUAL(picked(hs, p).size(), 3u);
}

BOOST_AUTO_TEST_SUITE_END()
