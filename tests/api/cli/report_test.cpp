// The coordinators' reports (api/README.md, "Reports"), end to end: a town built through the
// API over three months of the log's clock (requests, offers, a proposal and its acceptance,
// confirmed claims with and without a post, transfers, a reversal, a member who settles and
// leaves, a member who never acts), a checkpoint signed, and then each report read from
// GET /v1/communities/7/reports/{name} and checked against a model this test keeps of what it
// submitted (never the report code itself). The export of the same log, recomputed offline by
// the real program (`uurwerk audit report`), gives the same CSV bytes as the route. Refusals are
// checked from the side of the refused: no session, a plain member, another community's
// coordinator, an auditor of another community; bad input: an unknown report, a format, a
// reversed, unbounded or absurd range, days missing or out of range.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/http/routes.h"
#include "api/json/json_read.h"
#include "api/node/checkpointer.h"
#include "ledger/core/audit.h"
#include "tests/support/envelopes.h"
#include "tests/support/error_answers.h"
#include "tests/support/json_path.h"
#include "tests/support/run_command.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using uurwerk::testing::envelope_json;
using uurwerk::testing::error_code_of;
using uurwerk::testing::J;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::num;
using uurwerk::testing::run_command;
using uurwerk::testing::signed_token;
using uurwerk::testing::str;
using uurwerk::testing::temp_dir;

namespace {

constexpr community_id town{7};
constexpr community_id elsewhere{8};
constexpr std::int64_t day = 24 * 3600 * 1000;
constexpr std::int64_t jan_1_2026 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t apr_1_2026 = jan_1_2026 + (31 + 28 + 31) * day;

// What the test itself keeps of the exchanges it made: the model the reports are checked
// against.
struct exchange {
    std::int64_t at;
    std::string kind;  // claim, transfer, reversal
    std::string id;    // of the confirmation, transfer or reversal
    std::uint64_t from, to;
    std::int64_t minutes;
    std::string category;
};

struct town_log {
    temp_dir dir{"reports"};
    time_ms now{jan_1_2026 + 3600'000};
    std::unique_ptr<node> n;
    signing_key node_key = key_filled_with(0x70);
    std::unique_ptr<checkpointer> cp;
    std::unique_ptr<routes> api;
    signing_key k1 = key_filled_with(1), k2 = key_filled_with(2), k3 = key_filled_with(3),
                k4 = key_filled_with(4), k5 = key_filled_with(5), k6 = key_filled_with(6),
                k10 = key_filled_with(10), auditor = key_filled_with(20);
    std::map<public_key, std::uint64_t> seq;
    // The model.
    std::vector<exchange> exchanges;
    std::map<std::uint64_t, std::int64_t> last_active;  // member -> log time
    std::set<std::uint64_t> left;
    std::map<std::string, std::string> category_of_post;  // post id -> category

    town_log() {
        n = uurwerk::testing::open_test_node(dir.path, [this] { return now; });
        cp = std::make_unique<checkpointer>(
            *n, key_filled_with(0x70),
            checkpointer_options{std::chrono::milliseconds(0), [this] { return now; }});
        api = std::make_unique<routes>(*n, cp.get(), nullptr,
                                       access_options{[this] { return now; }, ""},
                                       quota_options::unlimited());
    }

    // The verdict the node gives `p` signed by `key` for `author` ("none": accepted), or the
    // error it answers instead (a key the community does not know is never logged).
    std::string verdict(const signing_key& key, community_id c, member_id author, event_payload p) {
        auto e =
            key.seal(event_body{random_event_id(), c, author, sequence{++seq[key.public_bytes()]},
                                now, std::nullopt, std::move(p)});
        auto a = api->handle(http_request{"POST", "/v1/events", envelope_json(e), "", "", ""});
        auto doc = json_doc::parse(a.body);
        BOOST_REQUIRE(doc.ok());
        return doc->string_at("reason").value_or(error_code_of(a));
    }

    event_id submit(const signing_key& key, community_id c, member_id author, event_payload p) {
        const auto id = random_event_id();
        auto e = key.seal(event_body{id, c, author, sequence{++seq[key.public_bytes()]}, now,
                                     std::nullopt, std::move(p)});
        auto a = api->handle(http_request{"POST", "/v1/events", envelope_json(e), "", "", ""});
        BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
        auto doc = json_doc::parse(a.body);
        BOOST_REQUIRE(doc.ok());
        BOOST_REQUIRE_MESSAGE(doc->string_at("reason").value_or("") == "none", a.body);
        if (c == town && author != community_fund) last_active[author.value] = now.value;
        return id;
    }

    void at_day(std::int64_t d) { now = time_ms{jan_1_2026 + d * day + 3600'000}; }

    event_id post(const signing_key& key, member_id m, category what, bool request) {
        const post_body b{what, std::nullopt, intensity::once, "3512", 0};
        const auto id = request ? submit(key, town, m, request_posted{b})
                                : submit(key, town, m, offer_posted{b});
        category_of_post[id.hex()] = std::string(category_name(what));
        return id;
    }

    // Member `helper` claims `minutes` of `receiver` (for `post`, if any) and `receiver`
    // confirms the same day.
    event_id help(const signing_key& hk, member_id helper, const signing_key& rk,
                  member_id receiver, std::int64_t minutes_given,
                  std::optional<event_id> for_post) {
        const auto claim =
            submit(hk, town, helper,
                   hours_claimed{receiver, minutes{minutes_given}, for_post, std::nullopt});
        const auto confirmation = submit(rk, town, receiver, hours_confirmed{claim});
        exchanges.push_back({now.value, "claim", confirmation.hex(), receiver.value, helper.value,
                             minutes_given,
                             for_post ? category_of_post.at(for_post->hex()) : "none"});
        return claim;
    }

    void give(const signing_key& k, member_id from, member_id to, std::int64_t m) {
        const auto id = submit(k, town, from, transfer{to, minutes{m}, std::nullopt});
        exchanges.push_back({now.value, "transfer", id.hex(), from.value, to.value, m, "none"});
    }

    std::string bearer(const signing_key& key, community_id c, member_id m) {
        return "Bearer " + signed_token(key, c, m, time_ms{now.value + 3'600'000});
    }

    http_response ask(const std::string& target, const std::string& authorization) {
        return api->handle(http_request{"GET", target, "", authorization, "", "203.0.113.9"});
    }
};

// The town: three months of exchanges; its ids kept for the checks.
struct town_story : town_log {
    event_id asked_shopping, asked_company, withdrawn, offered_shopping, offered_garden,
        asked_computer;
    std::int64_t posted_company_at = 0;

    town_story() {
        const policy rules{minutes{600}, minutes{6000}, minutes{240}};
        submit(k1, town, member_id{1}, community_founded{"Buurtkring West", rules});
        for (auto [m, key] : {std::pair{2, &k2}, {3, &k3}, {4, &k4}, {5, &k5}, {6, &k6}}) {
            submit(k1, town, member_id{1},
                   member_admitted{member_id{static_cast<std::uint64_t>(m)}, key->public_bytes(),
                                   role::member, true, std::nullopt});
            last_active[static_cast<std::uint64_t>(m)] = now.value;  // admitted: a start
        }
        submit(k1, town, member_id{1}, node_key_announced{node_key.public_bytes()});
        submit(k1, town, member_id{1},
               auditor_appointed{auditor.public_bytes(), time_ms{jan_1_2026 + 300 * day}});
        submit(k10, elsewhere, member_id{10}, community_founded{"Elders", rules});

        at_day(1);
        asked_shopping = post(k2, member_id{2}, category::shopping, true);
        asked_company = post(k2, member_id{2}, category::companionship, true);
        posted_company_at = now.value;
        withdrawn = post(k2, member_id{2}, category::lifts, true);
        asked_computer = post(k3, member_id{3}, category::computer_help, true);
        offered_shopping = post(k3, member_id{3}, category::shopping, false);
        offered_garden = post(k4, member_id{4}, category::gardening, false);
        submit(k2, town, member_id{2}, post_withdrawn{withdrawn});

        at_day(2);  // the node proposes member 3's offer for member 2's request; 2 accepts
        const auto proposal =
            submit(node_key, town, community_fund,
                   match_proposed{asked_shopping, offered_shopping, member_id{3}, 1, 0, 1, 0});
        submit(k2, town, member_id{2}, match_accepted{proposal});

        at_day(4);
        help(k3, member_id{3}, k2, member_id{2}, 90, asked_shopping);

        at_day(40);  // February: 6 helps 2 without a post, then settles and leaves
        help(k6, member_id{6}, k2, member_id{2}, 60, std::nullopt);
        at_day(42);
        give(k6, member_id{6}, member_id{2}, 60);
        at_day(43);
        submit(k6, town, member_id{6}, member_left{member_id{6}});
        left.insert(6);

        at_day(60);  // March: 4 answers 3's request for computer help without a match
        help(k4, member_id{4}, k3, member_id{3}, 20, asked_computer);
        at_day(61);  // 4 helps 3 in the garden; the coordinator reverses it next day
        const auto garden = help(k4, member_id{4}, k3, member_id{3}, 30, offered_garden);
        at_day(62);
        const auto reversed = submit(k1, town, member_id{1}, reversal{garden, std::nullopt});
        exchanges.push_back(
            {now.value, "reversal", reversed.hex(), 4, 3, 30, std::string("gardening")});
        at_day(63);
        give(k3, member_id{3}, community_fund, 15);

        at_day(68);
        auto signed_cp = cp->sign_now(town);
        BOOST_REQUIRE_MESSAGE(signed_cp.ok(), (signed_cp.ok() ? "" : signed_cp.err().message));
        // After the checkpoint: in no report until the next one.
        at_day(69);
        const auto before = last_active;
        give(k2, member_id{2}, member_id{3}, 5);
        exchanges.pop_back();
        last_active = before;
    }

    std::string coordinator() { return bearer(k1, town, member_id{1}); }
};

std::string range(std::int64_t from, std::int64_t to) {
    return "from_ms=" + std::to_string(from) + "&to_ms=" + std::to_string(to);
}

std::string report_target(const std::string& name, const std::string& query) {
    return "/v1/communities/7/reports/" + name + "?" + query;
}

// The CSV's rows (after the comment line and the header), each split at its commas.
std::vector<std::vector<std::string>> csv_rows(const std::string& csv, std::string* header) {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(csv);
    std::string line;
    int i = 0;
    while (std::getline(in, line)) {
        BOOST_REQUIRE_MESSAGE(!line.empty() && line.back() == '\r', "CSV lines end in CRLF");
        line.pop_back();
        if (i++ == 0) {
            BOOST_CHECK(line.rfind("# uurwerk report ", 0) == 0);
            continue;
        }
        if (i == 2) {
            if (header) *header = line;
            continue;
        }
        std::vector<std::string> cells;
        std::string cell;
        std::istringstream l(line);
        while (std::getline(l, cell, ',')) cells.push_back(cell);
        out.push_back(cells);
    }
    return out;
}

std::string month_of(std::int64_t ms) {
    return ms < jan_1_2026 + 31 * day   ? "2026-01"
           : ms < jan_1_2026 + 59 * day ? "2026-02"
                                        : "2026-03";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reports)

BOOST_AUTO_TEST_CASE(each_report_matches_the_model_of_what_the_town_did) {
    town_story t;
    const auto who = t.coordinator();
    const auto q = range(jan_1_2026, apr_1_2026);

    // Hours per month, member and category: the model summed here.
    std::map<std::tuple<std::string, std::uint64_t, std::string>,
             std::pair<std::int64_t, std::int64_t>>
        hours;
    for (const auto& x : t.exchanges) {
        if (x.kind == "transfer") continue;  // gifts are not hours of help
        const std::int64_t sign = x.kind == "reversal" ? -1 : 1;
        // A claim goes from the receiver (from) to the helper (to); its reversal back.
        const auto helper = x.kind == "reversal" ? x.from : x.to;
        const auto receiver = x.kind == "reversal" ? x.to : x.from;
        hours[{month_of(x.at), helper, x.category}].first += sign * x.minutes;
        hours[{month_of(x.at), receiver, x.category}].second += sign * x.minutes;
    }
    auto a = t.ask(report_target("hours", q), who);
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    BOOST_CHECK_EQUAL(a.content_type, "text/csv; charset=utf-8");
    std::string header;
    auto rows = csv_rows(a.body, &header);
    BOOST_CHECK_EQUAL(header, "month,member,category,minutes_given,minutes_received");
    BOOST_REQUIRE_EQUAL(rows.size(), hours.size());
    std::size_t i = 0;
    for (const auto& [k, v] : hours) {
        const std::vector<std::string> want{std::get<0>(k), std::to_string(std::get<1>(k)),
                                            std::get<2>(k), std::to_string(v.first),
                                            std::to_string(v.second)};
        BOOST_CHECK_EQUAL_COLLECTIONS(rows[i].begin(), rows[i].end(), want.begin(), want.end());
        ++i;
    }

    // Every transaction, in log order: the model's list as it was made.
    a = t.ask(report_target("transactions", q), who);
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    rows = csv_rows(a.body, &header);
    BOOST_CHECK_EQUAL(header, "logged_at_ms,leaf,kind,id,from,to,minutes,category");
    BOOST_REQUIRE_EQUAL(rows.size(), t.exchanges.size());
    for (std::size_t j = 0; j < rows.size(); ++j) {
        const auto& x = t.exchanges[j];
        BOOST_CHECK_EQUAL(rows[j][0], std::to_string(x.at));
        BOOST_CHECK_EQUAL(rows[j][2], x.kind);
        BOOST_CHECK_EQUAL(rows[j][3], x.id);
        BOOST_CHECK_EQUAL(rows[j][4], std::to_string(x.from));
        BOOST_CHECK_EQUAL(rows[j][5], std::to_string(x.to));
        BOOST_CHECK_EQUAL(rows[j][6], std::to_string(x.minutes));
        BOOST_CHECK_EQUAL(rows[j][7], x.category);
        // The leaf is the event's: its proof at that index names the same id.
        auto proof = t.ask("/v1/communities/7/leaves/" + rows[j][1] + "/proof", who);
        BOOST_CHECK_MESSAGE(proof.body.find(x.id) != std::string::npos, proof.body);
    }

    // Inactive for 30 days at April 1: the model's last activity of each member still in.
    a = t.ask(report_target("inactive", q + "&days=30"), who);
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    rows = csv_rows(a.body, &header);
    BOOST_CHECK_EQUAL(header, "member,last_active_ms,days_inactive");
    std::vector<std::vector<std::string>> inactive;
    for (const auto& [m, last] : t.last_active)
        if (!t.left.contains(m) && last < apr_1_2026 - 30 * day)
            inactive.push_back({std::to_string(m), std::to_string(last),
                                std::to_string((apr_1_2026 - last) / day)});
    BOOST_REQUIRE_EQUAL(rows.size(), inactive.size());
    BOOST_CHECK(rows == inactive);
    BOOST_CHECK_EQUAL(inactive.size(), 2u);  // 2 (last seen in February) and 5 (never acted)

    // Requests never answered: the companionship request (the shopping one was matched, the
    // computer one answered by help confirmed without a match, the lifts one withdrawn).
    a = t.ask(report_target("unanswered", q), who);
    rows = csv_rows(a.body, &header);
    BOOST_CHECK_EQUAL(header, "request,leaf,posted_at_ms,member,category,proposals,days_waiting");
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    BOOST_CHECK_EQUAL(rows[0][0], t.asked_company.hex());
    BOOST_CHECK_EQUAL(rows[0][2], std::to_string(t.posted_company_at));
    BOOST_CHECK_EQUAL(rows[0][3], "2");
    BOOST_CHECK_EQUAL(rows[0][4], "companionship");
    BOOST_CHECK_EQUAL(rows[0][5], "0");
    BOOST_CHECK_EQUAL(rows[0][6], std::to_string((apr_1_2026 - t.posted_company_at) / day));

    // Offers never proposed: the garden offer (the shopping one was proposed).
    a = t.ask(report_target("unproposed", q), who);
    rows = csv_rows(a.body, &header);
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    BOOST_CHECK_EQUAL(rows[0][0], t.offered_garden.hex());
    BOOST_CHECK_EQUAL(rows[0][3], "4");
    BOOST_CHECK_EQUAL(rows[0][4], "gardening");

    // Impact: from the model's exchanges.
    // Net minutes: a claim runs from its receiver to its helper, a reversal back.
    std::int64_t given = 0;
    std::map<std::uint64_t, std::int64_t> gave, got;
    for (const auto& x : t.exchanges) {
        if (x.kind == "transfer") continue;
        const bool back = x.kind == "reversal";
        const std::int64_t m = back ? -x.minutes : x.minutes;
        given += m;
        gave[back ? x.from : x.to] += m;
        got[back ? x.to : x.from] += m;
    }
    std::set<std::uint64_t> helpers, helped;
    for (const auto& [member, m] : gave)
        if (m > 0) helpers.insert(member);
    for (const auto& [member, m] : got)
        if (m > 0) helped.insert(member);
    a = t.ask(report_target("impact", q + "&format=json"), who);
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    auto doc = json_doc::parse(a.body);
    BOOST_REQUIRE(doc.ok());
    const auto* r = doc->root().at("rows");
    BOOST_REQUIRE(r && r->as_array() && r->as_array()->size() == 1);
    const auto& cells = *(*r->as_array())[0].as_array();
    BOOST_CHECK_EQUAL(cells[0].as_number().value_or(-1), 1);  // the one accepted match
    BOOST_CHECK_EQUAL(cells[1].as_number().value_or(-1), given);
    BOOST_CHECK_EQUAL(cells[2].as_number().value_or(-1), static_cast<double>(helpers.size()));
    BOOST_CHECK_EQUAL(cells[3].as_number().value_or(-1), static_cast<double>(helped.size()));
    // The JSON names the checkpoint it was computed at: the latest one, as the API serves it.
    auto latest = t.ask("/v1/communities/7/checkpoints/latest", "");
    auto head = json_doc::parse(latest.body);
    BOOST_REQUIRE(head.ok());
    const auto* at = doc->root().at("checkpoint");
    BOOST_REQUIRE(at != nullptr);
    BOOST_CHECK_EQUAL(at->at("tree_size")->as_string().value_or("-"),
                      head->string_at("tree_size").value_or("?"));
    BOOST_CHECK_EQUAL(at->at("root")->as_string().value_or(""),
                      head->string_at("root").value_or("?"));
}

BOOST_AUTO_TEST_CASE(a_range_counts_only_what_was_logged_in_it) {
    town_story t;
    // February alone: 6's help of 2 and 6's transfer back, nothing of January or March.
    const auto feb = range(jan_1_2026 + 31 * day, jan_1_2026 + 59 * day);
    auto a = t.ask(report_target("transactions", feb), t.coordinator());
    auto rows = csv_rows(a.body, nullptr);
    std::vector<std::string> want, got;
    for (const auto& x : t.exchanges)
        if (month_of(x.at) == "2026-02") want.push_back(x.id);
    for (const auto& r : rows) got.push_back(r[3]);
    BOOST_CHECK_EQUAL(want.size(), 2u);
    BOOST_CHECK_EQUAL_COLLECTIONS(got.begin(), got.end(), want.begin(), want.end());
    a = t.ask(report_target("impact", feb), t.coordinator());
    rows = csv_rows(a.body, nullptr);
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    const std::vector<std::string> impact{"0", "60", "1", "1"};  // no match; 6 helped 2
    BOOST_CHECK_EQUAL_COLLECTIONS(rows[0].begin(), rows[0].end(), impact.begin(), impact.end());
}

BOOST_AUTO_TEST_CASE(a_report_holds_what_its_checkpoint_holds_and_a_later_one_adds_the_rest) {
    town_story t;
    const auto q = range(jan_1_2026, apr_1_2026);
    auto rows = csv_rows(t.ask(report_target("transactions", q), t.coordinator()).body, nullptr);
    BOOST_CHECK_EQUAL(rows.size(), t.exchanges.size());  // not the gift after the checkpoint
    // A new checkpoint: the node's facts (kept from the first report) take the new leaves in.
    t.at_day(70);
    auto again = t.cp->sign_now(town);
    BOOST_REQUIRE(again.ok());
    const auto a = t.ask(report_target("transactions", q), t.coordinator());
    rows = csv_rows(a.body, nullptr);
    BOOST_REQUIRE_EQUAL(rows.size(), t.exchanges.size() + 1);
    const std::vector<std::string> gift{"transfer", "2", "3", "5"};
    const std::vector<std::string> got{rows.back()[2], rows.back()[4], rows.back()[5],
                                       rows.back()[6]};
    BOOST_CHECK_EQUAL_COLLECTIONS(got.begin(), got.end(), gift.begin(), gift.end());
    BOOST_CHECK(a.body.find("tree_size " + std::to_string(again->record.tree_size) + " root " +
                            again->record.root.hex()) != std::string::npos);
    // The headers name it too.
    std::map<std::string, std::string> headers(a.headers.begin(), a.headers.end());
    BOOST_CHECK_EQUAL(headers["X-Uurwerk-Tree-Size"], std::to_string(again->record.tree_size));
    BOOST_CHECK_EQUAL(headers["X-Uurwerk-Root"], again->record.root.hex());
}

BOOST_AUTO_TEST_CASE(refreshed_facts_leave_a_report_nothing_to_read_but_what_is_new) {
    town_story t;
    auto& cache = t.api->reports();
    BOOST_REQUIRE_EQUAL(cache.leaves_read(), 0u);
    // What a serving node's refresher does after each checkpoint interval.
    BOOST_REQUIRE(cache.refresh(*t.n, town).ok());
    auto latest = json_doc::parse(t.ask("/v1/communities/7/checkpoints/latest", "").body);
    BOOST_REQUIRE(latest.ok());
    const auto size = parse_decimal(latest->string_at("tree_size").value_or(""));
    BOOST_REQUIRE(size.has_value());
    BOOST_CHECK_EQUAL(cache.leaves_read(), *size);
    // A report then reads no leaf.
    const auto q = range(jan_1_2026, apr_1_2026);
    BOOST_CHECK_EQUAL(t.ask(report_target("impact", q), t.coordinator()).status, 200u);
    BOOST_CHECK_EQUAL(cache.leaves_read(), *size);
    // A new checkpoint: the next refresh reads only its new leaves.
    t.at_day(70);
    auto again = t.cp->sign_now(town);
    BOOST_REQUIRE(again.ok());
    BOOST_REQUIRE(cache.refresh(*t.n, town).ok());
    BOOST_CHECK_EQUAL(cache.leaves_read(), again->record.tree_size);
    BOOST_CHECK_GT(again->record.tree_size, *size);
    // A community without a checkpoint: nothing to refresh, and no error.
    BOOST_CHECK(cache.refresh(*t.n, elsewhere).ok());
    BOOST_CHECK_EQUAL(cache.leaves_read(), again->record.tree_size);
}

BOOST_AUTO_TEST_CASE(a_member_who_left_is_only_a_number_and_no_report_holds_a_name) {
    town_story t;
    const auto q = range(jan_1_2026, apr_1_2026);
    for (const std::string name :
         {"hours", "transactions", "inactive", "unanswered", "unproposed", "impact"}) {
        const auto a =
            t.ask(report_target(name, q + (name == "inactive" ? "&days=1" : "")), t.coordinator());
        BOOST_REQUIRE_MESSAGE(a.status == 200, name << ": " << a.body);
        // The community's name is the only name the log holds in the clear: never in a report.
        BOOST_CHECK(a.body.find("Buurtkring") == std::string::npos);
        BOOST_CHECK(a.body.find("Elders") == std::string::npos);
    }
    // Member 6 left: in the transactions as the number 6, and never among the inactive.
    auto rows = csv_rows(t.ask(report_target("transactions", q), t.coordinator()).body, nullptr);
    std::size_t sixes = 0;
    for (const auto& r : rows) sixes += (r[4] == "6" || r[5] == "6") ? 1 : 0;
    BOOST_CHECK_EQUAL(sixes, 2u);
    rows = csv_rows(t.ask(report_target("inactive", q + "&days=1"), t.coordinator()).body, nullptr);
    for (const auto& r : rows) BOOST_CHECK_NE(r[0], "6");
}

BOOST_AUTO_TEST_CASE(the_offline_recomputation_from_an_export_gives_the_same_bytes) {
    town_story t;
    // The export, as `uurwerk audit export` assembles it: the header and the leaves' records.
    std::string file;
    append_export_header(file, town);
    auto page = t.ask("/v1/communities/7/export?from=0&limit=10000", t.coordinator());
    BOOST_REQUIRE_EQUAL(page.status, 200u);
    file += page.body;
    const auto path = (t.dir.path / "town.export").string();
    std::ofstream(path, std::ios::binary) << file;
    const auto q = range(jan_1_2026, apr_1_2026);
    for (const std::string name :
         {"hours", "transactions", "inactive", "unanswered", "unproposed", "impact"}) {
        for (const std::string format : {"csv", "json"}) {
            const std::string extra = name == "inactive" ? "&days=30" : "";
            const auto online =
                t.ask(report_target(name, q + extra + "&format=" + format), t.coordinator());
            BOOST_REQUIRE_MESSAGE(online.status == 200, online.body);
            const auto out = (t.dir.path / (name + "." + format)).string();
            std::vector<std::string> argv{UURWERK_BINARY,
                                          "audit",
                                          "report",
                                          path,
                                          name,
                                          "--trust",
                                          t.node_key.public_bytes().hex(),
                                          "--from-ms",
                                          std::to_string(jan_1_2026),
                                          "--to-ms",
                                          std::to_string(apr_1_2026),
                                          "--format",
                                          format,
                                          "--out",
                                          out};
            if (name == "inactive") argv.insert(argv.end(), {"--days", "30"});
            const auto r = run_command(argv);
            BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out);
            std::ifstream in(out, std::ios::binary);
            const std::string offline((std::istreambuf_iterator<char>(in)),
                                      std::istreambuf_iterator<char>());
            BOOST_CHECK_MESSAGE(offline == online.body, name << "." << format << " offline:\n"
                                                             << offline << "\nonline:\n"
                                                             << online.body);
        }
    }
    // Trusting another key, the export holds no checkpoint to compute at: refused.
    const auto r = run_command({UURWERK_BINARY, "audit", "report", path, "hours", "--trust",
                                key_filled_with(0x71).public_bytes().hex(), "--from-ms", "0",
                                "--to-ms", "1000"});
    BOOST_CHECK_NE(r.exit_code, 0);
    // One byte of a record changed: the verification fails before any report.
    auto bad = file;
    bad[bad.size() - 10] ^= 1;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
    const auto broken =
        run_command({UURWERK_BINARY, "audit", "report", path, "hours", "--trust",
                     t.node_key.public_bytes().hex(), "--from-ms", "0", "--to-ms", "1000"});
    BOOST_CHECK_NE(broken.exit_code, 0);
    BOOST_CHECK_MESSAGE(broken.out.find("does not hold up") != std::string::npos, broken.out);
}

BOOST_AUTO_TEST_CASE(only_the_communitys_coordinators_and_auditors_may_read_a_report) {
    town_story t;
    const auto target = report_target("hours", range(jan_1_2026, apr_1_2026));
    // Those who may.
    BOOST_CHECK_EQUAL(t.ask(target, t.coordinator()).status, 200u);
    BOOST_CHECK_EQUAL(t.ask(target, t.bearer(t.auditor, town, community_fund)).status, 200u);
    // Those who may not, each from their own side.
    auto a = t.ask(target, "");
    BOOST_CHECK(a.status == 401 && error_code_of(a) == "unauthenticated");
    for (const auto& [who, token] :
         {std::pair{"a plain member", t.bearer(t.k3, town, member_id{3})},
          {"another community's coordinator", t.bearer(t.k10, elsewhere, member_id{10})},
          {"the auditor, for another community", t.bearer(t.auditor, elsewhere, community_fund)}}) {
        a = t.ask(target, token);
        BOOST_CHECK_MESSAGE(a.status == 403 && error_code_of(a) == "forbidden",
                            who << ": " << a.status << " " << a.body);
        BOOST_CHECK(a.body.find("minutes_given") == std::string::npos);
    }
    // Another community's coordinator, asking about their own community in a town's path:
    // the session is of community 8, the path of 7.
    a = t.ask("/v1/communities/8/reports/hours?" + range(jan_1_2026, apr_1_2026),
              t.bearer(t.k1, town, member_id{1}));
    BOOST_CHECK_EQUAL(a.status, 403u);
}

BOOST_AUTO_TEST_CASE(bad_input_is_a_clear_error) {
    town_story t;
    const auto who = t.coordinator();
    const auto q = range(jan_1_2026, apr_1_2026);
    const auto check = [&](const std::string& target, unsigned status, const std::string& code) {
        const auto a = t.ask(target, who);
        BOOST_CHECK_MESSAGE(a.status == status && error_code_of(a) == code,
                            target << ": " << a.status << " " << a.body);
    };
    check(report_target("gossip", q), 404, "unknown_report");
    check(report_target("hours", q + "&format=xlsx"), 400, "bad_report_format");
    check(report_target("hours", range(apr_1_2026, jan_1_2026)), 400, "bad_report_range");
    check(report_target("hours", range(jan_1_2026, jan_1_2026)), 400, "bad_report_range");
    check(report_target("hours", "from_ms=" + std::to_string(jan_1_2026)), 400, "bad_report_range");
    check(report_target("hours", "to_ms=" + std::to_string(apr_1_2026)), 400, "bad_report_range");
    check(report_target("hours", range(0, jan_1_2026)), 400, "bad_report_range");  // 56 years
    check(report_target("hours", range(0, std::int64_t{1} << 53)), 400, "bad_report_range");
    check(report_target("hours", "from_ms=-1&to_ms=5"), 400, "bad_request");
    check(report_target("inactive", q), 400, "bad_report_range");
    check(report_target("inactive", q + "&days=0"), 400, "bad_report_range");
    check(report_target("inactive", q + "&days=1831"), 400, "bad_report_range");
    check(report_target("hours", q + "&days=3"), 400, "bad_report_range");
    check(report_target("hours", q + "&colour=red"), 400, "bad_request");
    // Five years exactly is allowed; one ms more is not.
    const std::int64_t five_years = std::int64_t{5} * 366 * day;
    BOOST_CHECK_EQUAL(
        t.ask(report_target("hours", range(jan_1_2026 - five_years, jan_1_2026)), who).status,
        200u);
    check(report_target("hours", range(jan_1_2026 - five_years - 1, jan_1_2026)), 400,
          "bad_report_range");
    // A community with no checkpoint yet has no report to give.
    const auto other =
        t.ask("/v1/communities/8/reports/hours?" + q, t.bearer(t.k10, elsewhere, member_id{10}));
    BOOST_CHECK(other.status == 404 && error_code_of(other) == "no_checkpoint");
    // The CLI refuses the same before it asks any server (a usage error names the rule).
    auto r = run_command({UURWERK_BINARY, "report", "hours", "--community", "7", "--from-ms", "10",
                          "--to-ms", "5", "--server", "http://127.0.0.1:1"});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.out.find("from_ms must be before to_ms") != std::string::npos, r.out);
    r = run_command(
        {UURWERK_BINARY, "report", "gossip", "--community", "7", "--server", "http://127.0.0.1:1"});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.out.find("no report 'gossip'") != std::string::npos, r.out);
}

// The public impact page (api/README.md, "The public impact page"): closed until a coordinator
// signs a policy that opens it, whoever asks; then, for anyone without a session, the impact
// figures of each of the twelve months up to the checkpoint's, equal to the model of what the
// town did and to the coordinators' own impact report over the same ranges.
BOOST_AUTO_TEST_CASE(the_public_impact_page_opens_only_by_the_coordinators_signed_policy) {
    town_story t;
    const std::string page = "/v1/communities/7/impact";
    const auto closed = [&](const std::string& who, const std::string& token) {
        const auto a = t.ask(page, token);
        BOOST_CHECK_MESSAGE(a.status == 403 && error_code_of(a) == "impact_not_public",
                            who << ": " << a.status << " " << a.body);
        BOOST_CHECK(a.body.find("matches_made") == std::string::npos);
    };
    // Closed by default, even to the coordinator (who reads the reports instead).
    closed("anyone", "");
    closed("the coordinator", t.coordinator());
    // A plain member cannot open it: the policy is the coordinators'.
    policy open_rules{minutes{600}, minutes{6000}, minutes{240}};
    open_rules.public_impact = impact_page::open;
    BOOST_CHECK_EQUAL(t.verdict(t.k3, town, member_id{3}, policy_changed{open_rules}),
                      "not_coordinator");
    // Nor another community's coordinator.
    BOOST_CHECK_EQUAL(t.verdict(t.k10, town, member_id{10}, policy_changed{open_rules}),
                      "unknown_signer");
    closed("anyone, after the refused attempts", "");
    // The coordinator opens it.
    t.submit(t.k1, town, member_id{1}, policy_changed{open_rules});
    const auto community = json_doc::parse(t.ask("/v1/communities/7", "").body);
    BOOST_REQUIRE(community.ok());
    BOOST_CHECK(community->root().at("policy")->at("public_impact")->as_bool() == true);
    const auto a = t.ask(page, "");
    BOOST_REQUIRE_MESSAGE(a.status == 200, a.body);
    std::map<std::string, std::string> headers(a.headers.begin(), a.headers.end());
    BOOST_CHECK_EQUAL(headers["Cache-Control"], "public, max-age=60");
    auto doc = json_doc::parse(a.body);
    BOOST_REQUIRE(doc.ok());
    BOOST_CHECK_EQUAL(doc->string_at("name").value_or(""), "Buurtkring West");
    // The checkpoint of day 68 (10 March 2026): April 2025 to March 2026.
    auto latest = json_doc::parse(t.ask("/v1/communities/7/checkpoints/latest", "").body);
    BOOST_REQUIRE(latest.ok());
    const auto* at = doc->root().at("checkpoint");
    BOOST_REQUIRE(at != nullptr);
    BOOST_CHECK_EQUAL(at->at("tree_size")->as_string().value_or("-"),
                      latest->string_at("tree_size").value_or("?"));
    BOOST_CHECK_EQUAL(at->at("root")->as_string().value_or(""),
                      latest->string_at("root").value_or("?"));
    BOOST_CHECK_EQUAL(headers["X-Uurwerk-Root"], latest->string_at("root").value_or("?"));
    const auto* months = doc->root().at("months")->as_array();
    BOOST_REQUIRE(months != nullptr);
    BOOST_REQUIRE_EQUAL(months->size(), 12u);
    BOOST_CHECK_EQUAL(str(J(months->front(), "month")), "2025-04");
    BOOST_CHECK_EQUAL(str(J(months->back(), "month")), "2026-03");
    // Each month against the model: minutes given (claims less their reversals), helpers and
    // people helped (distinct), matches made (the one acceptance, in January).
    struct figures {
        std::int64_t matches = 0, minutes = 0;
        std::map<std::uint64_t, std::int64_t> gave, got;  // net, reversals taken off
        double helpers() const { return positive(gave); }
        double helped() const { return positive(got); }
        static double positive(const std::map<std::uint64_t, std::int64_t>& net) {
            return static_cast<double>(std::count_if(net.begin(), net.end(),
                                                     [](const auto& kv) { return kv.second > 0; }));
        }
    };
    std::map<std::string, figures> model;
    figures total;
    for (const auto& x : t.exchanges) {
        if (x.kind == "transfer") continue;
        for (auto* f : {&model[month_of(x.at)], &total}) {
            // A claim's exchange runs from its receiver to its helper; a reversal's back.
            const bool back = x.kind == "reversal";
            const std::int64_t m = back ? -x.minutes : x.minutes;
            f->minutes += m;
            f->gave[back ? x.from : x.to] += m;
            f->got[back ? x.to : x.from] += m;
        }
    }
    model["2026-01"].matches = total.matches = 1;
    const auto check = [&](const json_value& got, const figures& want, const std::string& what) {
        BOOST_TEST_CONTEXT(what) {
            BOOST_CHECK_EQUAL(num(J(got, "matches_made")), static_cast<double>(want.matches));
            BOOST_CHECK_EQUAL(num(J(got, "minutes_given")), static_cast<double>(want.minutes));
            BOOST_CHECK_EQUAL(num(J(got, "active_helpers")), want.helpers());
            BOOST_CHECK_EQUAL(num(J(got, "people_helped")), want.helped());
        }
    };
    for (const auto& m : *months) check(m, model[str(J(m, "month"))], "a month");
    const auto* sum = doc->root().at("total");
    BOOST_REQUIRE(sum != nullptr);
    check(*sum, total, "the twelve months");
    BOOST_CHECK_EQUAL(total.minutes, 90 + 60 + 20);  // the reversed garden help counts nothing
    // The coordinators' impact report over the page's whole range says the same.
    const auto from = static_cast<std::int64_t>(num(J(*sum, "from_ms")));
    const auto to = static_cast<std::int64_t>(num(J(*sum, "to_ms")));
    auto rows =
        csv_rows(t.ask(report_target("impact", range(from, to)), t.coordinator()).body, nullptr);
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    BOOST_CHECK_EQUAL(rows[0][1], std::to_string(total.minutes));
    BOOST_CHECK_EQUAL(rows[0][2], std::to_string(static_cast<int>(total.helpers())));
    // No name but the community's, no member number: only counts.
    for (const std::string word : {"member", "display_name", "\"6\""})
        BOOST_CHECK(a.body.find(word) == std::string::npos);
    // Closed again by the coordinator: closed at once, though the checkpoint did not move.
    policy closed_rules = open_rules;
    closed_rules.public_impact = impact_page::closed;
    t.submit(t.k1, town, member_id{1}, policy_changed{closed_rules});
    closed("anyone, after it was closed again", "");
}

BOOST_AUTO_TEST_CASE(the_public_impact_page_of_a_community_without_a_checkpoint_or_none_at_all) {
    town_story t;
    // Community 8 opens its page but has no checkpoint yet: nothing to show.
    policy open_rules{minutes{600}, minutes{6000}, minutes{240}};
    open_rules.public_impact = impact_page::open;
    t.submit(t.k10, elsewhere, member_id{10}, policy_changed{open_rules});
    auto a = t.ask("/v1/communities/8/impact", "");
    BOOST_CHECK_MESSAGE(a.status == 404 && error_code_of(a) == "no_checkpoint", a.body);
    a = t.ask("/v1/communities/99/impact", "");
    BOOST_CHECK_MESSAGE(a.status == 404 && error_code_of(a) == "unknown_community", a.body);
    // A query parameter the page does not take is refused, as on every route.
    a = t.ask("/v1/communities/7/impact?from_ms=0", "");
    BOOST_CHECK_EQUAL(a.status, 400u);
}

BOOST_AUTO_TEST_SUITE_END()
