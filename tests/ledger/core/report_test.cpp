// The reports' pure fold (ledger/core/report.h) on hand-made leaves: months cut at UTC midnight
// across a year's end and a leap day; a range's start counted and its end not; rejected events
// counting for nothing; the exact CSV and JSON bytes of a small report; and the parameters'
// edges (the five-year bound, days only for inactive).
#include <boost/test/unit_test.hpp>

#include <string>

#include "ledger/core/report.h"
#include "tests/support/test_ids.h"

using namespace uurwerk;
using uurwerk::testing::id_of;

namespace {

constexpr community_id town{7};
constexpr std::int64_t dec_31_2027_end = 1'830'297'600'000 - 1;  // 2027-12-31T23:59:59.999Z
constexpr std::int64_t jan_1_2028 = 1'830'297'600'000;           // 2028-01-01T00:00:00Z
constexpr std::int64_t feb_29_2028_noon =
    jan_1_2028 + (31 + 28) * report_day_ms + report_day_ms / 2;

struct leaves {
    report_facts facts{town};
    std::uint64_t next_id = 1;

    event_id add(member_id author, event_payload p, std::int64_t at,
                 reject_reason verdict = reject_reason::none) {
        const auto id = id_of(next_id++);
        facts.add(event_body{id, town, author, sequence{next_id}, time_ms{at}, std::nullopt,
                             std::move(p)},
                  verdict, time_ms{at});
        return id;
    }

    // Member 2 helps member 3 for `m` minutes, confirmed at `at`.
    void help(std::int64_t m, std::int64_t at, reject_reason confirmation = reject_reason::none) {
        const auto claim = add(
            member_id{2}, hours_claimed{member_id{3}, minutes{m}, std::nullopt, std::nullopt}, at);
        add(member_id{3}, hours_confirmed{claim}, at, confirmation);
    }

    report_table report(report_kind k, std::int64_t from, std::int64_t to) const {
        auto p = check_report_params(k, town, static_cast<std::uint64_t>(from),
                                     static_cast<std::uint64_t>(to), std::nullopt);
        BOOST_REQUIRE(p.ok());
        return facts.report(*p, report_checkpoint{facts.leaves(), digest{}});
    }
};

leaves town_of_three() {
    leaves l;
    l.add(member_id{1}, community_founded{"Buurt", policy{}}, jan_1_2028 - 30 * report_day_ms);
    for (std::uint64_t m : {2, 3})
        l.add(member_id{1},
              member_admitted{member_id{m}, std::nullopt, role::member, true, std::nullopt},
              jan_1_2028 - 30 * report_day_ms);
    return l;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_suite)

BOOST_AUTO_TEST_CASE(months_are_cut_at_utc_midnight_across_a_year_and_a_leap_day) {
    auto l = town_of_three();
    l.help(10, dec_31_2027_end);
    l.help(20, jan_1_2028);
    l.help(40, feb_29_2028_noon);
    const auto t = l.report(report_kind::hours, jan_1_2028 - 60 * report_day_ms,
                            jan_1_2028 + 90 * report_day_ms);
    BOOST_REQUIRE_EQUAL(t.rows.size(), 6u);
    const std::vector<std::string> months{"2027-12", "2027-12", "2028-01",
                                          "2028-01", "2028-02", "2028-02"};
    for (std::size_t i = 0; i < months.size(); ++i)
        BOOST_CHECK_EQUAL(std::get<std::string>(t.rows[i][0]), months[i]);
    BOOST_CHECK_EQUAL(std::get<std::int64_t>(t.rows[4][3]), 40);  // member 2 gave 40
    BOOST_CHECK_EQUAL(std::get<std::int64_t>(t.rows[5][4]), 40);  // member 3 received 40
}

BOOST_AUTO_TEST_CASE(a_range_counts_its_start_and_not_its_end_and_rejected_events_nothing) {
    auto l = town_of_three();
    l.help(10, jan_1_2028 - 1);
    l.help(20, jan_1_2028);
    l.help(40, jan_1_2028 + report_day_ms - 1);
    l.help(80, jan_1_2028 + report_day_ms);
    l.help(160, jan_1_2028 + 100, reject_reason::credit_limit_exceeded);
    const auto t = l.report(report_kind::impact, jan_1_2028, jan_1_2028 + report_day_ms);
    BOOST_REQUIRE_EQUAL(t.rows.size(), 1u);
    BOOST_CHECK_EQUAL(std::get<std::int64_t>(t.rows[0][1]), 60);  // 20 + 40
    const auto all = l.report(report_kind::transactions, jan_1_2028, jan_1_2028 + report_day_ms);
    BOOST_CHECK_EQUAL(all.rows.size(), 2u);
}

BOOST_AUTO_TEST_CASE(the_csv_and_the_json_are_these_bytes) {
    auto l = town_of_three();
    l.help(90, jan_1_2028 + 5);
    auto p = check_report_params(report_kind::hours, town, jan_1_2028, jan_1_2028 + report_day_ms,
                                 std::nullopt);
    BOOST_REQUIRE(p.ok());
    digest root;
    root.b.fill(0xab);
    const auto t = l.facts.report(*p, report_checkpoint{l.facts.leaves(), root});
    const std::string root_hex = root.hex();
    BOOST_CHECK_EQUAL(report_csv(t),
                      "# uurwerk report hours, community 7, from_ms 1830297600000, to_ms "
                      "1830384000000, checkpoint tree_size 5 root " +
                          root_hex +
                          "\r\n"
                          "month,member,category,minutes_given,minutes_received\r\n"
                          "2028-01,2,none,90,0\r\n"
                          "2028-01,3,none,0,90\r\n");
    BOOST_CHECK_EQUAL(report_json(t),
                      "{\"report\":\"hours\",\"community\":7,\"from_ms\":1830297600000,\"to_ms\":"
                      "1830384000000,\"checkpoint\":{\"tree_size\":5,\"root\":\"" +
                          root_hex +
                          "\"},\"columns\":[\"month\",\"member\",\"category\",\"minutes_given\","
                          "\"minutes_received\"],\"rows\":[[\"2028-01\",2,\"none\",90,0],[\"2028-"
                          "01\",3,\"none\",0,90]]}");
}

BOOST_AUTO_TEST_CASE(the_parameters_are_checked_at_their_edges) {
    const auto check = [](report_kind k, std::optional<std::uint64_t> from,
                          std::optional<std::uint64_t> to, std::optional<std::uint64_t> days) {
        auto p = check_report_params(k, town, from, to, days);
        return p.ok() ? std::string("ok") : std::string(name(p.err().code));
    };
    const std::uint64_t five_years = report_range_ms_max;
    BOOST_CHECK_EQUAL(check(report_kind::hours, 0, five_years, {}), "ok");
    BOOST_CHECK_EQUAL(check(report_kind::hours, 0, five_years + 1, {}), "bad_report_range");
    BOOST_CHECK_EQUAL(check(report_kind::hours, 5, 5, {}), "bad_report_range");
    BOOST_CHECK_EQUAL(check(report_kind::hours, 6, 5, {}), "bad_report_range");
    BOOST_CHECK_EQUAL(check(report_kind::hours, {}, 5, {}), "bad_report_range");
    BOOST_CHECK_EQUAL(check(report_kind::hours, 0, {}, {}), "bad_report_range");
    BOOST_CHECK_EQUAL(
        check(report_kind::hours, std::uint64_t{1} << 53, (std::uint64_t{1} << 53) + 1, {}),
        "bad_report_range");
    BOOST_CHECK_EQUAL(check(report_kind::hours, 0, 5, 3), "bad_report_range");
    BOOST_CHECK_EQUAL(check(report_kind::inactive, 0, 5, {}), "bad_report_range");
    BOOST_CHECK_EQUAL(check(report_kind::inactive, 0, 5, 0), "bad_report_range");
    BOOST_CHECK_EQUAL(check(report_kind::inactive, 0, 5, 1), "ok");
    BOOST_CHECK_EQUAL(check(report_kind::inactive, 0, 5, inactive_days_max), "ok");
    BOOST_CHECK_EQUAL(check(report_kind::inactive, 0, 5, inactive_days_max + 1),
                      "bad_report_range");
    // Every name, and back.
    for (std::size_t i = 0; i < report_kind_count; ++i) {
        const auto k = static_cast<report_kind>(i);
        BOOST_CHECK(report_from_name(report_name(k)) == k);
    }
    BOOST_CHECK(!report_from_name("Hours"));
}

BOOST_AUTO_TEST_SUITE_END()
