// The member feed (api/node/member_feed.h): a listener gets its own member's notices in log
// order and nobody else's; one that reconnects after an offset gets what it missed, and is told
// when some of it was forgotten; the feed's memory and listeners are bounded.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "api/node/member_feed.h"

using namespace uurwerk;

namespace {

const community_id town{7}, elsewhere{8};

member_notice notice(community_id c, std::uint64_t member, std::uint64_t at) {
    event_id id{};
    id.b[0] = static_cast<std::uint8_t>(at);
    return member_notice{c,  member_id{member},          offset{at},
                         id, event_kind::request_posted, reject_reason::none};
}

std::vector<std::uint64_t> offsets_of(const std::vector<member_notice>& got) {
    std::vector<std::uint64_t> out;
    for (const auto& n : got) out.push_back(n.at.value);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(member_feed_suite)

BOOST_AUTO_TEST_CASE(a_listener_gets_its_members_notices_in_order_and_nobody_elses) {
    member_feed feed({offset{10}});
    std::vector<member_notice> two, three;
    auto a = feed.subscribe(partition_id{0}, town, member_id{2}, std::nullopt,
                            [&](const member_notice& n) { two.push_back(n); });
    auto b = feed.subscribe(partition_id{0}, town, member_id{3}, std::nullopt,
                            [&](const member_notice& n) { three.push_back(n); });
    BOOST_REQUIRE(a && b);
    BOOST_CHECK(a->complete());
    feed.publish(
        partition_id{0}, offset{10}, offset{13},
        {notice(town, 2, 10), notice(town, 3, 11), notice(elsewhere, 2, 12), notice(town, 2, 12)});
    BOOST_CHECK((offsets_of(two) == std::vector<std::uint64_t>{10, 12}));
    BOOST_CHECK((offsets_of(three) == std::vector<std::uint64_t>{11}));
    BOOST_CHECK_EQUAL(feed.published(partition_id{0}).value, 13u);
    // Unsubscribed when the ticket goes: nothing more, and the count drops.
    BOOST_CHECK_EQUAL(feed.listeners(), 2u);
    a.reset();
    BOOST_CHECK_EQUAL(feed.listeners(), 1u);
    feed.publish(partition_id{0}, offset{13}, offset{14}, {notice(town, 2, 13)});
    BOOST_CHECK_EQUAL(two.size(), 2u);
}

BOOST_AUTO_TEST_CASE(a_listener_that_comes_back_after_an_offset_gets_what_it_missed) {
    member_feed feed({offset{0}});
    feed.publish(partition_id{0}, offset{0}, offset{4},
                 {notice(town, 2, 0), notice(town, 3, 1), notice(town, 2, 3)});
    std::vector<member_notice> got;
    auto s = feed.subscribe(partition_id{0}, town, member_id{2}, offset{0},
                            [&](const member_notice& n) { got.push_back(n); });
    BOOST_REQUIRE(s);
    BOOST_CHECK(s->complete());
    BOOST_CHECK((offsets_of(got) == std::vector<std::uint64_t>{3}));  // after 0, not 0 itself
    feed.publish(partition_id{0}, offset{4}, offset{6}, {notice(town, 2, 5)});
    BOOST_CHECK((offsets_of(got) == std::vector<std::uint64_t>{3, 5}));
}

BOOST_AUTO_TEST_CASE(a_listener_is_told_when_what_it_missed_was_forgotten) {
    // Remembers 3 notices; the feed started at offset 100 (nothing before is remembered).
    member_feed feed({offset{100}}, 3);
    auto listen_after = [&](std::uint64_t after, std::vector<member_notice>& got) {
        auto s = feed.subscribe(partition_id{0}, town, member_id{2}, offset{after},
                                [&](const member_notice& n) { got.push_back(n); });
        BOOST_REQUIRE(s);
        return s->complete();
    };
    std::vector<member_notice> before_start;
    BOOST_CHECK(!listen_after(50, before_start));  // from before the feed began
    std::vector<member_notice> at_start;
    BOOST_CHECK(listen_after(99, at_start));  // everything from 100 on is remembered
    for (std::uint64_t o = 100; o < 105; ++o)
        feed.publish(partition_id{0}, offset{o}, offset{o + 1}, {notice(town, 2, o)});
    // Notices 100 and 101 are forgotten: after 100 is incomplete, after 101 complete.
    BOOST_CHECK_EQUAL(feed.complete_from(partition_id{0}).value, 102u);
    std::vector<member_notice> late, in_time;
    BOOST_CHECK(!listen_after(100, late));
    BOOST_CHECK((offsets_of(late) == std::vector<std::uint64_t>{102, 103, 104}));
    BOOST_CHECK(listen_after(101, in_time));
    BOOST_CHECK((offsets_of(in_time) == std::vector<std::uint64_t>{102, 103, 104}));
}

BOOST_AUTO_TEST_CASE(partitions_keep_their_own_offsets) {
    member_feed feed({offset{0}, offset{50}});
    std::vector<member_notice> got;
    feed.publish(partition_id{1}, offset{50}, offset{52}, {notice(elsewhere, 2, 51)});
    feed.publish(partition_id{0}, offset{0}, offset{60}, {notice(town, 2, 55)});
    auto s = feed.subscribe(partition_id{1}, elsewhere, member_id{2}, offset{49},
                            [&](const member_notice& n) { got.push_back(n); });
    BOOST_REQUIRE(s);
    BOOST_CHECK(s->complete());
    BOOST_CHECK((offsets_of(got) == std::vector<std::uint64_t>{51}));
    BOOST_CHECK_EQUAL(feed.published(partition_id{0}).value, 60u);
    BOOST_CHECK_EQUAL(feed.published(partition_id{1}).value, 52u);
}

BOOST_AUTO_TEST_CASE(listeners_are_bounded_and_a_ticket_may_outlive_the_feed) {
    std::unique_ptr<member_feed::subscription> kept;
    {
        member_feed feed({offset{0}}, 16, 2);
        auto a = feed.subscribe(partition_id{0}, town, member_id{2}, std::nullopt,
                                [](const member_notice&) {});
        kept = feed.subscribe(partition_id{0}, town, member_id{2}, std::nullopt,
                              [](const member_notice&) {});
        BOOST_REQUIRE(a && kept);
        BOOST_CHECK(!feed.subscribe(partition_id{0}, town, member_id{3}, std::nullopt,
                                    [](const member_notice&) {}));
        a.reset();
        BOOST_CHECK(feed.subscribe(partition_id{0}, town, member_id{3}, std::nullopt,
                                   [](const member_notice&) {}));
    }
    kept.reset();  // the feed is gone: letting go does nothing, and does not crash
}

BOOST_AUTO_TEST_SUITE_END()
