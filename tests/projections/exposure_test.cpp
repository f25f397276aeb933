// The arithmetic of fair exposure (projections/exposure.h, projections/fit.h and
// ledger/core/fairness_knobs.h) as its header promises it: position
// weights 1, 1/2, 1/3, ... that sum to 1 for any round size; every fairness knob's default, and
// its range as schemas/event.capnp states it (0 = unset, the top of each range allowed, one more
// refused, lowReputationProposalsMin at most proposalsPerRequest); a round's unit of relevance
// shared among those within the quality floor; the bounded page of best posts; and a request's
// fitting offers in a community: its category only, not the requester's own nor a suspended
// member's, in (helper, offer) order. fit() itself is in match_queues_test.cpp.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>
#include <vector>

#include "ledger/core/fairness_knobs.h"
#include "ledger/core/limits.h"
#include "projections/exposure.h"
#include "projections/fit.h"
#include "projections/matching_fold.h"
#include "tests/support/test_ids.h"

using namespace uurwerk;
using uurwerk::testing::id_of;

namespace {

// One knob of fairness_knobs, by name, with the top of its range in schemas/event.capnp.
struct knob {
    const char* name;
    std::uint32_t fairness_knobs::*field;
    std::uint32_t fallback;  // the default
    std::uint32_t max;
};
const std::vector<knob>& knobs() {
    static const std::vector<knob> all = {
        {"proposalsPerRequest", &fairness_knobs::proposals_per_request, 3, 20},
        {"openMatchesMax", &fairness_knobs::open_matches_max, 4, 100},
        {"newcomerFloorHours", &fairness_knobs::newcomer_floor_hours, 72, 8760},
        {"qualityFloorPermille", &fairness_knobs::quality_floor_permille, 500, 1000},
        {"reputationWeightMaxPermille", &fairness_knobs::reputation_weight_max_permille, 200, 1000},
        {"lowReputationProposalsMin", &fairness_knobs::low_reputation_proposals_min, 1, 20},
        {"reputationHalfLifeDays", &fairness_knobs::reputation_half_life_days, 180, 3650},
        {"requestWaitHoursMax", &fairness_knobs::request_wait_hours_max, 48, 8760},
        {"silenceFloorHours", &fairness_knobs::silence_floor_hours, 336, 8760},
        {"silentProposalsMax", &fairness_knobs::silent_proposals_max, 17, 20},
        {"unmatchedFirstProposals", &fairness_knobs::unmatched_first_proposals, 20, 20},
        {"matchSilenceHours", &fairness_knobs::match_silence_hours, 0, 8760},
    };
    return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exposure_arithmetic)

BOOST_AUTO_TEST_CASE(position_weights_fall_as_one_over_rank_and_sum_to_one) {
    BOOST_CHECK_EQUAL(position_weight(0, 1), 1.0);
    // 1, 1/2, 1/3 over 11/6.
    BOOST_CHECK_CLOSE(position_weight(0, 3), 6.0 / 11, 1e-9);
    BOOST_CHECK_CLOSE(position_weight(1, 3), 3.0 / 11, 1e-9);
    BOOST_CHECK_CLOSE(position_weight(2, 3), 2.0 / 11, 1e-9);
    for (std::size_t k = 1; k <= round_proposals_max; ++k) {
        BOOST_TEST_CONTEXT("round of " << k) {
            double sum = 0;
            for (std::uint32_t r = 0; r < k; ++r) {
                const double w = position_weight(r, k);
                BOOST_CHECK(w > 0 && w <= 1);
                sum += w;
                // Rank r is seen 1/(r+1) as much as the first.
                BOOST_CHECK_CLOSE(w / position_weight(0, k), 1.0 / (r + 1), 1e-9);
                if (r > 0) BOOST_CHECK(w < position_weight(r - 1, k));
            }
            BOOST_CHECK_CLOSE(sum, 1.0, 1e-9);
        }
    }
    // A larger round gives its first less.
    for (std::size_t k = 2; k <= round_proposals_max; ++k)
        BOOST_CHECK(position_weight(0, k) < position_weight(0, k - 1));
}

BOOST_AUTO_TEST_CASE(unset_knobs_resolve_to_their_defaults_and_set_ones_stay) {
    const auto defaults = resolved(fairness_knobs{});
    BOOST_CHECK(!defaults.off);
    for (const auto& k : knobs()) BOOST_CHECK_MESSAGE(defaults.*k.field == k.fallback, k.name);
    BOOST_CHECK(within_ranges(fairness_knobs{}));
    BOOST_CHECK(within_ranges(defaults));
    BOOST_CHECK(resolved(defaults) == defaults);
    for (const auto& k : knobs()) {
        fairness_knobs set;
        set.off = true;
        set.*k.field = 1;
        const auto r = resolved(set);
        BOOST_CHECK(r.off);
        BOOST_CHECK_MESSAGE(r.*k.field == 1, k.name);
        for (const auto& other : knobs())
            if (other.field != k.field)
                BOOST_CHECK_MESSAGE(r.*other.field == other.fallback, other.name);
    }
}

BOOST_AUTO_TEST_CASE(each_knob_is_allowed_up_to_the_top_of_its_range_and_no_further) {
    for (const auto& k : knobs()) {
        BOOST_TEST_CONTEXT(k.name) {
            fairness_knobs f;
            // lowReputationProposalsMin may not exceed proposalsPerRequest: give that its top.
            f.proposals_per_request = 20;
            f.*k.field = 1;
            BOOST_CHECK(within_ranges(f));
            f.*k.field = k.max;
            BOOST_CHECK(within_ranges(f));
            f.*k.field = k.max + 1;
            BOOST_CHECK(!within_ranges(f));
            f.*k.field = UINT32_MAX;
            BOOST_CHECK(!within_ranges(f));
        }
    }
}

BOOST_AUTO_TEST_CASE(low_reputation_proposals_are_at_most_the_proposals_of_a_round) {
    fairness_knobs f;
    f.low_reputation_proposals_min = 3;  // proposalsPerRequest unset: 3
    BOOST_CHECK(within_ranges(f));
    f.low_reputation_proposals_min = 4;
    BOOST_CHECK(!within_ranges(f));
    f.proposals_per_request = 4;
    BOOST_CHECK(within_ranges(f));
    f.proposals_per_request = 2;
    f.low_reputation_proposals_min = 0;  // unset: 1
    BOOST_CHECK(within_ranges(f));
    f.proposals_per_request = 1;
    BOOST_CHECK(within_ranges(f));
    f.low_reputation_proposals_min = 2;
    BOOST_CHECK(!within_ranges(f));
}

BOOST_AUTO_TEST_CASE(a_round_hands_out_one_unit_of_relevance_to_those_within_the_floor) {
    // The best is 1.0; with the floor at a half, 0.5 is owed (the floor itself counts), 0.4 not.
    BOOST_CHECK(owed_relevance(0.5, 1.0, 0.5));
    BOOST_CHECK(!owed_relevance(0.4, 1.0, 0.5));
    BOOST_CHECK(!owed_relevance(0.0, 1.0, 0.0));  // what does not fit is never owed
    const auto shares = shares_of_relevance({1.0, 0.6, 0.4, 0.0, 0.5}, 0.5);
    BOOST_REQUIRE_EQUAL(shares.size(), 5u);
    BOOST_CHECK_CLOSE(shares[0], 1.0 / 2.1, 1e-9);
    BOOST_CHECK_CLOSE(shares[1], 0.6 / 2.1, 1e-9);
    BOOST_CHECK_EQUAL(shares[2], 0.0);
    BOOST_CHECK_EQUAL(shares[3], 0.0);
    BOOST_CHECK_CLOSE(shares[4], 0.5 / 2.1, 1e-9);
    // Whatever the relevances and the floor, the shares sum to one (or nobody fits).
    std::mt19937_64 rng(20);
    std::uniform_real_distribution<double> unit(0, 1);
    for (int round = 0; round < 200; ++round) {
        std::vector<double> relevance(1 + rng() % 12);
        for (auto& r : relevance) r = rng() % 4 == 0 ? 0.0 : unit(rng);
        const double floor = unit(rng);
        const auto s = shares_of_relevance(relevance, floor);
        const double best = *std::max_element(relevance.begin(), relevance.end());
        const double sum = std::accumulate(s.begin(), s.end(), 0.0);
        if (best == 0)
            BOOST_CHECK_EQUAL(sum, 0.0);
        else
            BOOST_CHECK_CLOSE(sum, 1.0, 1e-9);
        for (std::size_t i = 0; i < s.size(); ++i)
            BOOST_CHECK_EQUAL(s[i] > 0, owed_relevance(relevance[i], best, floor));
    }
    BOOST_CHECK(shares_of_relevance({}, 0.5).empty());
}

BOOST_AUTO_TEST_CASE(best_posts_keeps_the_best_of_what_it_is_shown_best_first) {
    // Ties in relevance go to the older post, then the smaller id.
    std::vector<ranked_post_ref> all;
    for (std::uint64_t n = 0; n < 40; ++n)
        all.push_back({static_cast<double>(n % 5) / 4, offset{100 - n % 7}, id_of(n)});
    std::vector<ranked_post_ref> sorted = all;
    std::sort(sorted.begin(), sorted.end(), ranks_before);
    for (std::size_t i = 1; i < sorted.size(); ++i) {
        const auto &a = sorted[i - 1], &b = sorted[i];
        BOOST_CHECK(a.relevance > b.relevance ||
                    (a.relevance == b.relevance &&
                     (a.posted_at < b.posted_at || (a.posted_at == b.posted_at && a.id < b.id))));
    }
    std::mt19937_64 rng(5);
    for (std::size_t limit : {0u, 1u, 3u, 40u, 50u}) {
        BOOST_TEST_CONTEXT("limit " << limit) {
            std::shuffle(all.begin(), all.end(), rng);
            best_posts best(limit);
            for (const auto& p : all) best.show(p);
            BOOST_CHECK_EQUAL(best.shown(), all.size());
            const auto page = best.take();
            BOOST_REQUIRE_EQUAL(page.size(), std::min(limit, all.size()));
            for (std::size_t i = 0; i < page.size(); ++i) BOOST_CHECK(page[i].id == sorted[i].id);
            BOOST_CHECK(best.take().empty());  // taken
        }
    }
    // Full, it says which posts could still enter: better, or as good and no younger.
    best_posts two(2);
    two.show({0.5, offset{10}, id_of(1)});
    BOOST_CHECK(two.could_enter(0.1, offset{99}));  // not full yet
    two.show({0.8, offset{20}, id_of(2)});
    BOOST_CHECK(two.could_enter(0.6, offset{99}));
    BOOST_CHECK(two.could_enter(0.5, offset{10}));
    BOOST_CHECK(!two.could_enter(0.5, offset{11}));
    BOOST_CHECK(!two.could_enter(0.4, offset{0}));
    BOOST_CHECK(!best_posts(0).could_enter(1.0, offset{0}));
}

BOOST_AUTO_TEST_CASE(a_requests_fitting_offers_are_of_its_category_from_others_not_suspended) {
    community_state c;
    for (std::uint64_t m = 1; m <= 5; ++m) c.members[member_id{m}] = member_state{};
    c.members[member_id{4}].suspended = true;
    std::uint64_t n = 0;
    auto post = [&](std::uint64_t owner, bool offer, category what, std::string area,
                    intensity often = intensity::sometimes) {
        post_state p;
        p.owner = member_id{owner};
        p.is_offer = offer;
        p.what = what;
        p.how_often = often;
        p.area = std::move(area);
        p.posted_at = offset{++n};
        c.posts[id_of(n)] = p;
        return id_of(n);
    };
    const auto request = post(1, false, category::shopping, "3512");
    const auto own = post(1, true, category::shopping, "3512");   // the requester's
    const auto far = post(3, true, category::shopping, "1091");   // 0.4
    const auto near = post(2, true, category::shopping, "3512");  // 1.0
    const auto unknown = post(5, true, category::shopping, "");   // 0.8
    post(4, true, category::shopping, "3512");                    // suspended
    post(2, true, category::gardening, "3512");                   // another category
    const auto once = post(3, true, category::shopping, "3512", intensity::once);  // 0.8
    const auto closed = post(5, true, category::shopping, "3512");
    c.posts.at(closed).status = post_status::withdrawn;
    community_matching m;
    index_posts(m, c);

    const auto offers = fitting_offers(m.queues, c.posts.at(request));
    std::vector<std::pair<member_id, event_id>> got;
    for (const auto& o : offers) got.emplace_back(o.helper, o.offer);
    const std::vector<std::pair<member_id, event_id>> expected = {
        {member_id{2}, near}, {member_id{3}, far}, {member_id{3}, once}, {member_id{5}, unknown}};
    BOOST_REQUIRE_EQUAL(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        BOOST_CHECK_EQUAL(got[i].first.value, expected[i].first.value);
        BOOST_CHECK(got[i].second == expected[i].second);
    }
    (void)own;
    const std::map<event_id, double> relevance = {
        {near, 1.0}, {far, 0.4}, {once, 0.8}, {unknown, 0.8}};
    for (const auto& o : offers) BOOST_CHECK_CLOSE(o.relevance, relevance.at(o.offer), 1e-9);

    // The round's unit of relevance, at the default floor of a half: the far offer is owed none.
    const auto shares = relevance_shares(c.rules.fairness, offers);
    BOOST_REQUIRE_EQUAL(shares.size(), offers.size());
    BOOST_CHECK_CLOSE(shares[0], 1.0 / 2.6, 1e-9);
    BOOST_CHECK_EQUAL(shares[1], 0.0);
    BOOST_CHECK_CLOSE(shares[2], 0.8 / 2.6, 1e-9);
    BOOST_CHECK_CLOSE(shares[3], 0.8 / 2.6, 1e-9);
    // A floor of 300 permille owes the far one too.
    c.rules.fairness.quality_floor_permille = 300;
    const auto lower = relevance_shares(c.rules.fairness, offers);
    BOOST_CHECK_CLOSE(lower[1], 0.4 / 3.0, 1e-9);

    // The page of the best two: the best fit, then the older of the two at 0.8.
    const auto page = best_fitting_offers(
        m.queues, category::shopping, queued_request(m.queues, request, c.posts.at(request)), 2);
    BOOST_CHECK_EQUAL(page.fitting, 4u);
    BOOST_REQUIRE_EQUAL(page.best.size(), 2u);
    BOOST_CHECK(page.best[0].id == near);
    BOOST_CHECK(page.best[1].id == unknown);
}

BOOST_AUTO_TEST_SUITE_END()
