// The fairness benchmark's measures (matching/fair_share.h): fair share divides each request
// among the offers open beside it, unfairness is a total-variation distance against it, an offer
// that could have heard something and did not is starved, and the helper-level figures (Gini,
// quantiles, time to match) are the textbook ones.
#include <boost/test/unit_test.hpp>

#include "matching/fair_share.h"
#include "tests/support/test_ids.h"

using namespace uurwerk;
using uurwerk::testing::id_of;

namespace {

time_ms hours(std::int64_t h) {
    return time_ms{1'800'000'000'000 + h * 3'600'000};
}

}  // namespace

BOOST_AUTO_TEST_CASE(total_variation_is_zero_for_equal_shares_and_one_for_disjoint_ones) {
    const std::map<member_id, double> a{{member_id{1}, 2}, {member_id{2}, 2}};
    const std::map<member_id, double> b{{member_id{1}, 5}, {member_id{2}, 5}};
    const std::map<member_id, double> c{{member_id{3}, 1}};
    BOOST_CHECK_SMALL(total_variation(a, b), 1e-12);
    BOOST_CHECK_CLOSE(total_variation(a, c), 1.0, 1e-9);
    const std::map<member_id, double> all_to_one{{member_id{1}, 4}};
    BOOST_CHECK_CLOSE(total_variation(all_to_one, a), 0.5, 1e-9);
}

BOOST_AUTO_TEST_CASE(gini_and_quantiles_are_the_textbook_figures) {
    BOOST_CHECK_SMALL(gini({3, 3, 3, 3}), 1e-12);
    BOOST_CHECK_CLOSE(gini({0, 0, 0, 8}), 0.75, 1e-9);  // (n - 1) / n when one has all
    BOOST_CHECK_SMALL(gini({}), 1e-12);
    BOOST_CHECK_EQUAL(quantile({5, 1, 3, 2, 4}, 0.5), 3);
    BOOST_CHECK_EQUAL(quantile({5, 1, 3, 2, 4}, 0.9), 5);
    BOOST_CHECK_EQUAL(quantile({}, 0.5), 0);
}

BOOST_AUTO_TEST_CASE(a_request_is_shared_among_the_fitting_offers_open_beside_it) {
    // Offers 1 and 2 fit request 10 (open at hour 0..5); offer 3 does not fit it; offer 4 fits
    // but opened only after the request was met.
    fair_share_tracker t([](const event_id& req, const event_id& offer) {
        return req == id_of(10) && offer != id_of(3);
    });
    t.offer_opened(id_of(1), member_id{1}, hours(0));
    t.offer_opened(id_of(2), member_id{2}, hours(1));
    t.offer_opened(id_of(3), member_id{3}, hours(0));
    t.request_opened(id_of(10), hours(2));
    t.proposed(id_of(10), member_id{1}, hours(3));
    t.matched(id_of(10), member_id{1}, hours(5));
    t.request_closed(id_of(10), hours(5));
    t.offer_opened(id_of(4), member_id{4}, hours(6));
    t.hours_given(member_id{1}, minutes{90});

    const auto shares = t.fair_shares(hours(10));
    BOOST_CHECK_CLOSE(shares.at(member_id{1}), 0.5, 1e-9);
    BOOST_CHECK_CLOSE(shares.at(member_id{2}), 0.5, 1e-9);
    BOOST_CHECK_SMALL(shares.at(member_id{3}), 1e-12);
    BOOST_CHECK_SMALL(shares.at(member_id{4}), 1e-12);

    const auto f = t.figures(hours(10));
    // All matches went to helper 1, who was owed half: half of the matches are misplaced.
    BOOST_CHECK_CLOSE(f.unfairness_matches, 0.5, 1e-9);
    BOOST_CHECK_CLOSE(f.unfairness_proposals, 0.5, 1e-9);
    BOOST_CHECK_CLOSE(f.median_time_to_match_h, 3.0, 1e-9);
    BOOST_CHECK_SMALL(f.requests_never_matched_share, 1e-12);
    BOOST_CHECK_CLOSE(f.matched_hours_total, 1.5, 1e-9);
    BOOST_CHECK_CLOSE(f.gini_matched_hours, 0.75, 1e-9);  // one of four helpers has all hours
    BOOST_CHECK_EQUAL(f.helpers_active_at_end, 4u);
    BOOST_CHECK_EQUAL(f.starvation_candidates, 0u);  // nobody's early share reached 1
}

BOOST_AUTO_TEST_CASE(an_offer_owed_a_request_that_heard_nothing_in_its_first_weeks_is_starved) {
    fair_share_tracker t([](const event_id&, const event_id&) { return true; });
    t.offer_opened(id_of(1), member_id{1}, hours(0));
    t.offer_opened(id_of(2), member_id{2}, hours(0));
    // Four requests, each shared by both offers: each offer is owed 2 in its first two weeks.
    for (std::uint8_t r = 10; r < 14; ++r) {
        t.request_opened(id_of(r), hours(r));
        t.proposed(id_of(r), member_id{1}, hours(r + 1));
        t.matched(id_of(r), member_id{1}, hours(r + 2));
        t.request_closed(id_of(r), hours(r + 2));
    }
    t.offer_closed(id_of(2), hours(21 * 24));  // gave up
    const auto f = t.figures(hours(30 * 24));
    BOOST_CHECK_EQUAL(f.starvation_candidates, 2u);
    BOOST_CHECK_CLOSE(f.starved_offers_share, 0.5, 1e-9);
    BOOST_CHECK_EQUAL(f.helpers_active_at_end, 1u);
    BOOST_CHECK_CLOSE(f.unfairness_matches, 0.5, 1e-9);
}

BOOST_AUTO_TEST_CASE(a_request_never_met_counts_against_service_not_against_time_to_match) {
    fair_share_tracker t([](const event_id&, const event_id&) { return true; });
    t.offer_opened(id_of(1), member_id{1}, hours(0));
    t.request_opened(id_of(10), hours(0));
    t.request_opened(id_of(11), hours(0));
    t.matched(id_of(10), member_id{1}, hours(10));
    t.request_closed(id_of(10), hours(10));
    const auto f = t.figures(hours(100));
    BOOST_CHECK_CLOSE(f.requests_never_matched_share, 0.5, 1e-9);
    BOOST_CHECK_CLOSE(f.median_time_to_match_h, 10.0, 1e-9);
    BOOST_CHECK_CLOSE(f.p90_time_to_match_h, 10.0, 1e-9);
}
