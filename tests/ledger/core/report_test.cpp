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

BOOST_AUTO_TEST_CASE(the_public_page_covers_twelve_whole_months_up_to_the_checkpoints) {
    // A checkpoint on a leap day: March 2027 to February 2028, each a whole UTC month (the
    // bounds computed apart, by Python's datetime), then the twelve together.
    const auto r = impact_page_ranges(town, time_ms{feb_29_2028_noon});
    BOOST_REQUIRE_EQUAL(r.size(), impact_page_months + 1);
    BOOST_CHECK_EQUAL(r.front().month, "2027-03");
    BOOST_CHECK_EQUAL(r.front().params.from.value, 1'803'859'200'000);  // 2027-03-01
    BOOST_CHECK_EQUAL(r[9].month, "2027-12");
    BOOST_CHECK_EQUAL(r[9].params.from.value, 1'827'619'200'000);  // 2027-12-01
    BOOST_CHECK_EQUAL(r[9].params.to.value, jan_1_2028);
    BOOST_CHECK_EQUAL(r[11].month, "2028-02");
    BOOST_CHECK_EQUAL(r[11].params.from.value, 1'832'976'000'000);  // 2028-02-01
    BOOST_CHECK_EQUAL(r[11].params.to.value, 1'835'481'600'000);    // 2028-03-01
    for (std::size_t i = 0; i < impact_page_months; ++i) {
        BOOST_CHECK(r[i].params.kind == report_kind::impact);
        BOOST_CHECK(r[i].params.community == town);
        if (i > 0) BOOST_CHECK_EQUAL(r[i].params.from.value, r[i - 1].params.to.value);
        // Each is a range the route would accept.
        BOOST_CHECK(check_report_params(report_kind::impact, town,
                                        static_cast<std::uint64_t>(r[i].params.from.value),
                                        static_cast<std::uint64_t>(r[i].params.to.value),
                                        std::nullopt)
                        .ok());
    }
    BOOST_CHECK(r.back().month.empty());
    BOOST_CHECK_EQUAL(r.back().params.from.value, r.front().params.from.value);
    BOOST_CHECK_EQUAL(r.back().params.to.value, r[11].params.to.value);
    // The last instant of a month still names it; the first of the next moves on a month.
    BOOST_CHECK_EQUAL(impact_page_ranges(town, time_ms{dec_31_2027_end})[11].month, "2027-12");
    BOOST_CHECK_EQUAL(impact_page_ranges(town, time_ms{jan_1_2028})[11].month, "2028-01");
    // The log's clock starts in 1970: no month before it.
    const auto early = impact_page_ranges(town, time_ms{2'678'400'000});  // 1970-02-01
    BOOST_REQUIRE_EQUAL(early.size(), 3u);
    BOOST_CHECK_EQUAL(early[0].month, "1970-01");
    BOOST_CHECK_EQUAL(early[0].params.from.value, 0);
    BOOST_CHECK_EQUAL(early[1].month, "1970-02");
}

BOOST_AUTO_TEST_CASE(the_public_pages_months_count_what_each_month_holds) {
    // The page's figures are the impact report of each range: help confirmed in December 2027
    // counts there, not in January, and the twelve months together count each helper once.
    auto l = town_of_three();
    l.help(10, dec_31_2027_end);
    l.help(20, jan_1_2028);
    l.help(40, feb_29_2028_noon);
    const report_checkpoint at{l.facts.leaves(), digest{}};
    std::vector<report_table> page;
    for (const auto& r : impact_page_ranges(town, time_ms{feb_29_2028_noon}))
        page.push_back(l.facts.report(r.params, at));
    const auto given = [&](std::size_t i) { return std::get<std::int64_t>(page[i].rows[0][1]); };
    const auto helpers = [&](std::size_t i) { return std::get<std::int64_t>(page[i].rows[0][2]); };
    BOOST_CHECK_EQUAL(given(9), 10);   // 2027-12
    BOOST_CHECK_EQUAL(given(10), 20);  // 2028-01
    BOOST_CHECK_EQUAL(given(11), 40);  // 2028-02
    BOOST_CHECK_EQUAL(given(0), 0);
    BOOST_CHECK_EQUAL(given(12), 70);
    BOOST_CHECK_EQUAL(helpers(12), 1);  // member 2, once, though in three months
    BOOST_CHECK_EQUAL(helpers(9) + helpers(10) + helpers(11), 3);
}

BOOST_AUTO_TEST_CASE(a_helper_whose_every_claim_was_reversed_helped_no_one_in_the_impact) {
    auto l = town_of_three();
    // Member 2 helps 3 for 30 minutes; the coordinator reverses it the same month.
    const auto claim =
        l.add(member_id{2}, hours_claimed{member_id{3}, minutes{30}, std::nullopt, std::nullopt},
              jan_1_2028 + report_day_ms);
    l.add(member_id{3}, hours_confirmed{claim}, jan_1_2028 + report_day_ms);
    l.add(member_id{1}, reversal{claim, std::nullopt}, jan_1_2028 + 2 * report_day_ms);
    auto t = l.report(report_kind::impact, jan_1_2028, jan_1_2028 + 31 * report_day_ms);
    BOOST_REQUIRE_EQUAL(t.rows.size(), 1u);
    BOOST_CHECK_EQUAL(std::get<std::int64_t>(t.rows[0][1]), 0);  // minutes given
    BOOST_CHECK_EQUAL(std::get<std::int64_t>(t.rows[0][2]), 0);  // active helpers
    BOOST_CHECK_EQUAL(std::get<std::int64_t>(t.rows[0][3]), 0);  // people helped
    // A range that ends before the reversal still sees the help.
    t = l.report(report_kind::impact, jan_1_2028, jan_1_2028 + 2 * report_day_ms);
    BOOST_CHECK_EQUAL(std::get<std::int64_t>(t.rows[0][1]), 30);
    BOOST_CHECK_EQUAL(std::get<std::int64_t>(t.rows[0][2]), 1);
    BOOST_CHECK_EQUAL(std::get<std::int64_t>(t.rows[0][3]), 1);
}

BOOST_AUTO_TEST_SUITE_END()
