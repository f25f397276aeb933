// The live match queues (projections/match_queues.h) and fit (projections/fit.h): category first,
// then area, times and how often; a queued post fits exactly as the post it stands for.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>

#include "projections/fit.h"
#include "projections/match_queues.h"
#include "projections/matching_fold.h"
#include "tests/support/test_ids.h"

using namespace uurwerk;
using uurwerk::testing::id_of;

namespace {

queued_post queued(std::uint64_t n, std::uint64_t owner, std::uint32_t times = 0,
                   intensity often = intensity::once) {
    return {id_of(n), member_id{owner}, offset{n}, times, {}, often};
}

bool holds(const match_queues& q, post_side side, category what, std::uint64_t n) {
    bool found = false;
    q.open(side, what).for_each([&](const post_bucket& b, std::size_t i) {
        found = found || b.ids()[i] == id_of(n);
    });
    return found;
}

}  // namespace

BOOST_AUTO_TEST_CASE(fit_weighs_category_area_times_and_how_often) {
    const post_fit request{category::shopping, intensity::regularly, 0b0111, "3512"};
    auto offer = [](category what, std::string_view area, std::uint32_t times, intensity often) {
        return post_fit{what, often, times, area};
    };
    BOOST_CHECK_EQUAL(fit(request, offer(category::gardening, "3512", 0, intensity::regularly)),
                      0.0);
    BOOST_CHECK_CLOSE(fit(request, offer(category::shopping, "3512", 0, intensity::regularly)), 1.0,
                      1e-9);
    BOOST_CHECK_CLOSE(fit(request, offer(category::shopping, "", 0, intensity::regularly)), 0.8,
                      1e-9);
    BOOST_CHECK_CLOSE(fit(request, offer(category::shopping, "1091", 0, intensity::regularly)), 0.4,
                      1e-9);
    // Covers one of three asked slots: a third; none: the floor of a quarter.
    BOOST_CHECK_CLOSE(fit(request, offer(category::shopping, "3512", 0b0001, intensity::regularly)),
                      1.0 / 3, 1e-9);
    BOOST_CHECK_CLOSE(fit(request, offer(category::shopping, "3512", 0b1000, intensity::regularly)),
                      0.25, 1e-9);
    BOOST_CHECK_CLOSE(fit(request, offer(category::shopping, "3512", 0, intensity::once)), 0.5,
                      1e-9);
    BOOST_CHECK_CLOSE(fit(request, offer(category::shopping, "3512", 0, intensity::sometimes)), 0.8,
                      1e-9);
}

BOOST_AUTO_TEST_CASE(a_queued_post_fits_exactly_as_the_post_it_stands_for) {
    const std::array<std::string, 4> areas{"", "3512", "1091", "7411"};
    std::mt19937_64 rng(7);
    match_queues q;
    struct post {
        post_fit fit;
        queued_post queued;
    };
    std::vector<post> offers, requests;
    for (std::uint64_t n = 1; n <= 400; ++n) {
        const auto& area = areas[rng() % areas.size()];
        const auto often = static_cast<intensity>(rng() % 3);
        const auto times = static_cast<std::uint32_t>(rng() % 4 == 0 ? 0 : rng() & 0x1fffff);
        const auto side = n % 4 == 0 ? post_side::request : post_side::offer;
        q.add(side, category::meals, queued(n, n, times, often), area);
        auto& list = side == post_side::offer ? offers : requests;
        list.push_back({{category::meals, often, times, area},
                        {id_of(n), member_id{n}, offset{n}, times, q.code_of(area), often}});
    }
    // Each queued post stands in the bucket of its area and intensity, as recorded.
    std::size_t queued_total = 0;
    q.open(post_side::offer, category::meals).for_each([&](const post_bucket& b, std::size_t i) {
        const auto o = std::find_if(offers.begin(), offers.end(),
                                    [&](const post& p) { return p.queued.id == b.ids()[i]; });
        BOOST_REQUIRE(o != offers.end());
        BOOST_CHECK(b.at(i) == o->queued);
        ++queued_total;
    });
    BOOST_CHECK_EQUAL(queued_total, offers.size());
    // An area no post names codes as none of theirs.
    BOOST_CHECK(q.code_of("9999") != q.code_of("3512"));
    BOOST_CHECK(q.code_of("") == area_code{0});
    requests.push_back(
        {{category::meals, intensity::once, 0, "9999"},
         {id_of(999), member_id{999}, offset{999}, 0, q.code_of("9999"), intensity::once}});
    std::size_t compared = 0;
    for (const auto& r : requests)
        for (const auto& o : offers) {
            BOOST_REQUIRE_EQUAL(fit_queued(r.queued, o.queued), fit(r.fit, o.fit));
            ++compared;
        }
    BOOST_CHECK_EQUAL(compared, 101u * 300u);
}

BOOST_AUTO_TEST_CASE(posts_open_and_close_in_their_buckets_and_requests_stay_ordered) {
    match_queues q;
    for (std::uint64_t n = 1; n <= 5; ++n)
        q.add(post_side::offer, category::lifts, queued(n, n), "");
    q.add(post_side::request, category::lifts, queued(9, 9), "3512");
    q.add(post_side::request, category::meals, queued(8, 8), "");
    q.remove(post_side::offer, category::lifts, id_of(2));  // the later ones move up
    q.remove(post_side::offer, category::lifts, id_of(5));
    q.remove(post_side::offer, category::lifts, id_of(42));  // not queued: nothing
    BOOST_CHECK_EQUAL(q.open(post_side::offer, category::lifts).size(), 3u);
    for (std::uint64_t n : {1, 3, 4}) BOOST_CHECK(holds(q, post_side::offer, category::lifts, n));
    BOOST_CHECK(!holds(q, post_side::offer, category::lifts, 2));
    BOOST_CHECK_EQUAL(q.open_count(post_side::offer), 3u);
    BOOST_CHECK_EQUAL(q.open_count(post_side::request), 2u);
    BOOST_CHECK((q.open_requests() == std::set<event_id>{id_of(8), id_of(9)}));
    q.remove(post_side::request, category::lifts, id_of(9));
    BOOST_CHECK((q.open_requests() == std::set<event_id>{id_of(8)}));
    // The same posts added in another order are the same content.
    match_queues other;
    other.add(post_side::request, category::meals, queued(8, 8), "");
    for (std::uint64_t n : {4, 3, 1})
        other.add(post_side::offer, category::lifts, queued(n, n), "");
    BOOST_CHECK(other.same_content(q));
    other.suspend(member_id{3});
    BOOST_CHECK(!other.same_content(q));
    BOOST_CHECK(other.suspended(member_id{3}));
    other.reinstate(member_id{3});
    BOOST_CHECK(!other.suspended(member_id{3}));
    BOOST_CHECK(other.same_content(q));
}

BOOST_AUTO_TEST_CASE(queues_that_are_not_kept_ignore_every_change) {
    match_queues q;
    q.set_upkeep(queue_upkeep::skipped);
    q.add(post_side::offer, category::lifts, queued(1, 1), "3512");
    q.add(post_side::request, category::lifts, queued(2, 2), "3512");
    q.suspend(member_id{1});
    BOOST_CHECK(!q.kept());
    BOOST_CHECK_EQUAL(q.open_count(post_side::offer) + q.open_count(post_side::request), 0u);
    BOOST_CHECK(q.open_requests().empty());
    BOOST_CHECK(!q.suspended(member_id{1}));
}

BOOST_AUTO_TEST_CASE(buckets_keep_posting_order_whatever_order_posts_are_added_in) {
    match_queues q;
    // A rebuild adds posts in id order, not posting order; removals keep the order too.
    for (std::uint64_t n : {7, 3, 9, 1, 5, 8, 2})
        q.add(post_side::offer, category::meals, queued(n, n % 3 + 1), "3512");
    q.remove(post_side::offer, category::meals, id_of(5));
    const auto& posts = q.open(post_side::offer, category::meals);
    BOOST_REQUIRE_EQUAL(posts.buckets().size(), 1u);
    std::vector<std::uint64_t> order;
    for (std::size_t i = 0; i < posts.buckets()[0].size(); ++i)
        order.push_back(posts.buckets()[0].posted_at(i).value);
    BOOST_CHECK((order == std::vector<std::uint64_t>{1, 2, 3, 7, 8, 9}));
    // Each member's open offers, with their categories.
    q.add(post_side::offer, category::lifts, queued(11, 2), "");
    BOOST_CHECK_EQUAL(q.offers_of(member_id{2}, category::meals), 2u);  // 1 and 7
    BOOST_CHECK_EQUAL(q.offers_of(member_id{2}, category::lifts), 1u);
    BOOST_CHECK_EQUAL(q.offers_of(member_id{2}).size(), 3u);
    q.remove(post_side::offer, category::meals, id_of(7));
    BOOST_CHECK_EQUAL(q.offers_of(member_id{2}, category::meals), 1u);
    BOOST_CHECK_EQUAL(q.offers_of(member_id{42}).size(), 0u);
}

// The ranked page that stops early is exactly the first `limit` of every fitting offer sorted,
// with many ties (half the offers give no times) and the requester's own and suspended
// members' offers left out, after posts opened and closed in any order.
BOOST_AUTO_TEST_CASE(best_fitting_offers_equal_every_fitting_offer_sorted) {
    const std::array<std::string, 6> areas{"", "3512", "1091", "7411", "2000", "9000"};
    std::mt19937_64 rng(11);
    community_matching c;
    std::vector<std::pair<std::uint64_t, category>> opened;
    for (std::uint64_t n = 1; n <= 3000; ++n) {
        const auto what = rng() % 5 == 0 ? category::lifts : category::meals;
        const auto times = static_cast<std::uint32_t>(rng() % 2 == 0 ? 0 : rng() & 0x1fffff);
        const auto often = static_cast<intensity>(rng() % 3);
        c.queues.add(post_side::offer, what, queued(n, 1 + rng() % 300, times, often),
                     areas[rng() % areas.size()]);
        opened.emplace_back(n, what);
        if (rng() % 4 == 0) {  // an earlier offer closes (perhaps again: then nothing)
            const auto [gone, in] = opened[rng() % opened.size()];
            c.queues.remove(post_side::offer, in, id_of(gone));
        }
    }
    for (std::uint64_t m = 1; m <= 300; m += 29) c.queues.suspend(member_id{m});
    std::size_t pages = 0;
    for (int round = 0; round < 200; ++round) {
        const std::string area = round % 7 == 0 ? "8888" : areas[rng() % areas.size()];
        const queued_post request{
            id_of(100'000 + round), member_id{1 + rng() % 300},
            offset{100'000},        static_cast<std::uint32_t>(rng() % 2 ? 0 : rng() & 0x1fffff),
            c.queues.code_of(area), static_cast<intensity>(rng() % 3)};
        std::vector<ranked_post_ref> all;
        for_each_fitting_offer(c.queues, category::meals, request,
                               [&](const post_bucket& b, std::size_t i, double r) {
                                   all.push_back({r, b.posted_at(i), b.ids()[i]});
                               });
        std::sort(all.begin(), all.end(), ranks_before);
        for (const std::size_t limit : {0, 1, 7, 20, 150, 5000}) {
            const auto page = best_fitting_offers(c.queues, category::meals, request, limit);
            BOOST_REQUIRE_EQUAL(page.fitting, all.size());
            const std::size_t n = std::min(limit, all.size());
            BOOST_REQUIRE_EQUAL(page.best.size(), n);
            for (std::size_t i = 0; i < n; ++i) {
                BOOST_REQUIRE(page.best[i].id == all[i].id);
                BOOST_REQUIRE_EQUAL(page.best[i].relevance, all[i].relevance);
            }
            ++pages;
        }
    }
    BOOST_CHECK_EQUAL(pages, 1200u);
}
