// The rate quotas' arithmetic and table (api/http/quota.h), at times the test chooses, from the
// side of a client who tries to get more than its share: a burst and then nothing until the
// refill, another client untouched, a flood of distinct keys that must not grow the table nor
// free a client that is over its quota.
#include "api/http/quota.h"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace uurwerk;
using namespace std::chrono_literals;

namespace {
constexpr quota_time t0 = quota_time{1'000'000'000'000};  // any origin
}

BOOST_AUTO_TEST_CASE(a_client_gets_its_burst_at_once_then_one_token_per_interval) {
    token_buckets b(rate_limit{20, 100}, 1024);
    for (int i = 0; i < 100; ++i) BOOST_REQUIRE(!b.take("k", t0));
    auto wait = b.take("k", t0);
    BOOST_REQUIRE(wait);
    BOOST_CHECK(*wait == 50ms);  // one token every 1/20 s
    // Refused requests take nothing: asking again and again does not push the wait back.
    for (int i = 0; i < 1000; ++i) BOOST_REQUIRE(b.take("k", t0));
    BOOST_CHECK(*b.take("k", t0 + 10ms) == 40ms);
    BOOST_CHECK(!b.take("k", t0 + 50ms));  // the one token that came back
    BOOST_CHECK(b.take("k", t0 + 50ms));
    // After 5 s (100 intervals) the bucket is full again: a burst of 100, no more.
    for (int i = 0; i < 100; ++i) BOOST_REQUIRE(!b.take("k", t0 + 50ms + 5s));
    BOOST_CHECK(b.take("k", t0 + 50ms + 5s));
}

BOOST_AUTO_TEST_CASE(a_sustained_rate_gets_exactly_the_refill) {
    token_buckets b(rate_limit{50, 200}, 1024);
    // A client that asks 1,000 times a second for 10 s: 200 at first, then 50 a second.
    int taken = 0;
    for (int ms = 0; ms < 10'000; ++ms)
        if (!b.take("flood", t0 + std::chrono::milliseconds(ms))) ++taken;
    BOOST_CHECK_GE(taken, 200 + 50 * 10 - 1);
    BOOST_CHECK_LE(taken, 200 + 50 * 10 + 1);
}

BOOST_AUTO_TEST_CASE(one_client_over_its_quota_leaves_every_other_client_alone) {
    token_buckets b(rate_limit{1, 3}, 1024);
    for (int i = 0; i < 3; ++i) BOOST_REQUIRE(!b.take("attacker", t0));
    BOOST_REQUIRE(b.take("attacker", t0));
    for (int i = 0; i < 3; ++i) BOOST_CHECK(!b.take("member", t0));
    BOOST_CHECK(b.take("member", t0));
}

BOOST_AUTO_TEST_CASE(a_clock_that_steps_back_gives_no_extra_tokens) {
    token_buckets b(rate_limit{10, 2}, 1024);
    BOOST_REQUIRE(!b.take("k", t0));
    BOOST_REQUIRE(!b.take("k", t0));
    BOOST_CHECK(b.take("k", t0 - 1s));
    BOOST_CHECK(b.take("k", t0 + 50ms));
    BOOST_CHECK(!b.take("k", t0 + 100ms));
}

BOOST_AUTO_TEST_CASE(a_flood_of_distinct_clients_keeps_the_table_bounded) {
    const std::size_t most = 1000;
    token_buckets b(rate_limit{20, 100}, most);
    // A client that drained its bucket, then a million new keys, each sending once, all within
    // the same second (so no bucket refills meanwhile).
    for (int i = 0; i < 100; ++i) BOOST_REQUIRE(!b.take("drained", t0));
    BOOST_REQUIRE(b.take("drained", t0));
    std::size_t largest = 0, refused = 0;
    for (int i = 0; i < 1'000'000; ++i) {
        const auto now = t0 + std::chrono::nanoseconds(i);
        if (b.take("key-" + std::to_string(i), now)) ++refused;
        largest = std::max(largest, b.size());
    }
    BOOST_CHECK_EQUAL(refused, 0u);  // a newcomer is never refused because the table is full
    BOOST_CHECK_LE(largest, most);
    // The flood did not free the client that is over its quota: it is the farthest from full.
    BOOST_CHECK(b.take("drained", t0 + 1ms));
}

BOOST_AUTO_TEST_CASE(full_buckets_are_swept_before_anyone_is_dropped) {
    token_buckets b(rate_limit{1, 5}, 4);
    for (int i = 0; i < 5; ++i) BOOST_REQUIRE(!b.take("busy", t0));
    BOOST_REQUIRE(!b.take("a", t0));
    BOOST_REQUIRE(!b.take("b", t0));
    BOOST_REQUIRE(!b.take("c", t0));
    BOOST_CHECK_EQUAL(b.size(), 4u);
    // Two seconds later a, b and c are full again (one token each), "busy" is not (5 s).
    BOOST_REQUIRE(!b.take("d", t0 + 2s));
    BOOST_CHECK_EQUAL(b.size(), 2u);  // busy and d
    // busy kept its count: it took 5 at t0, so 2 s later it has 2 tokens, not a fresh 5.
    BOOST_CHECK(!b.take("busy", t0 + 2s));
    BOOST_CHECK(!b.take("busy", t0 + 2s));
    BOOST_CHECK(b.take("busy", t0 + 2s));
}

BOOST_AUTO_TEST_CASE(retry_after_is_whole_seconds_rounded_up_and_at_least_one) {
    BOOST_CHECK_EQUAL(retry_after_seconds(quota_time{1}), 1u);
    BOOST_CHECK_EQUAL(retry_after_seconds(50ms), 1u);
    BOOST_CHECK_EQUAL(retry_after_seconds(1s), 1u);
    BOOST_CHECK_EQUAL(retry_after_seconds(1001ms), 2u);
    BOOST_CHECK_EQUAL(retry_after_seconds(quota_time{0}), 1u);
}

BOOST_AUTO_TEST_CASE(quota_flags_parse_and_refuse_nonsense) {
    auto r = parse_rate_limit("20:100", "quota-writes-per-key");
    BOOST_REQUIRE(r.ok());
    BOOST_CHECK(*r == (rate_limit{20, 100}));
    BOOST_CHECK(parse_rate_limit("off", "x")->unlimited());
    for (const char* bad : {"", "20", "20:", ":100", "0:10", "10:0", "-1:5", "a:b", "20:100:3",
                            "2000000:1", "20 :100"}) {
        auto b = parse_rate_limit(bad, "quota-writes-per-key");
        BOOST_CHECK_MESSAGE(!b.ok(), bad);
        if (!b.ok()) {
            BOOST_CHECK(b.err().code == errc::bad_argument);
            BOOST_CHECK(b.err().message.find("--quota-writes-per-key") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_node_quotas_charge_each_table_apart_at_the_clock_given) {
    quota_time now = t0;
    quota_options o;
    o.writes_per_key = {1, 2};
    o.writes_per_address = {1, 3};
    o.reads_per_session = {1, 4};
    o.reads_per_address = {};  // off
    quotas q(o, [&] { return now; });
    BOOST_CHECK(!q.write_by_key("k") && !q.write_by_key("k"));
    BOOST_CHECK(q.write_by_key("k"));
    for (int i = 0; i < 3; ++i) BOOST_CHECK(!q.write_by_address("k"));  // another table
    BOOST_CHECK(q.write_by_address("k"));
    for (int i = 0; i < 4; ++i) BOOST_CHECK(!q.read_by_session("s"));
    BOOST_CHECK(q.read_by_session("s"));
    for (int i = 0; i < 10'000; ++i) BOOST_REQUIRE(!q.read_by_address("a"));
    now += 1s;
    BOOST_CHECK(!q.write_by_key("k"));
    BOOST_CHECK(q.write_by_key("k"));
    const auto unlimited = quota_options::unlimited();
    quotas none(unlimited, [&] { return now; });
    for (int i = 0; i < 10'000; ++i) BOOST_REQUIRE(!none.write_by_key("k"));
    BOOST_CHECK_EQUAL(none.clients(), 0u);
}

BOOST_AUTO_TEST_CASE(looking_at_a_bucket_takes_nothing) {
    token_buckets b(rate_limit{1, 2}, 1024);
    BOOST_CHECK(!b.empty_for("k", t0));  // unknown: a full bucket
    for (int i = 0; i < 1000; ++i) BOOST_REQUIRE(!b.empty_for("k", t0));
    BOOST_CHECK_EQUAL(b.size(), 0u);
    BOOST_REQUIRE(!b.take("k", t0));
    BOOST_REQUIRE(!b.take("k", t0));
    auto wait = b.empty_for("k", t0);
    BOOST_REQUIRE(wait);
    BOOST_CHECK(*wait == 1s);
    BOOST_CHECK(*b.take("k", t0) == *wait);  // the same answer as a take
    BOOST_CHECK(!b.empty_for("k", t0 + 1s));
    BOOST_CHECK(!b.take("k", t0 + 1s));
}
