// What the coordinators' console reads and writes through the API (api/web/public/js/console.js,
// api/README.md): the roster (balance, last activity, keys, who acts for whom) for a coordinator
// of the community and nobody else; verifying a member, by a coordinator only; a member's export
// naming what each claim's help was and the reasons of its dispute and reversal, which the
// console shows beside the original.
#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>

#include "api/http/routes.h"
#include "api/json/json_read.h"
#include "ledger/core/crypto.h"
#include "ledger/core/personal.h"
#include "tests/support/envelopes.h"
#include "tests/support/json_path.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using uurwerk::testing::bearer;
using uurwerk::testing::count;
using uurwerk::testing::J;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::num;
using uurwerk::testing::str;

namespace {

constexpr community_id town{7};
constexpr community_id elsewhere{8};

// Community 7: coordinator 1, member 2 (admitted unverified), member 3, member 4 (no key, with 3
// as her proxy). Community 8: coordinator 10.
struct office {
    uurwerk::testing::temp_dir dir{"console"};
    std::unique_ptr<node> n = uurwerk::testing::open_test_node(dir.path);
    routes api{*n, nullptr, nullptr};
    signing_key k1 = key_filled_with(1), k2 = key_filled_with(2), k3 = key_filled_with(3),
                k10 = key_filled_with(10);
    std::map<std::uint64_t, std::uint64_t> seq;

    office() {
        const policy rules{minutes{600}, minutes{6000}, minutes{240}};
        ok(send(k1, town, 1, community_founded{"Buurtkring West", rules}));
        ok(send(
            k1, town, 1,
            member_admitted{member_id{2}, k2.public_bytes(), role::member, false, std::nullopt}));
        ok(send(
            k1, town, 1,
            member_admitted{member_id{3}, k3.public_bytes(), role::member, true, std::nullopt}));
        ok(send(k1, town, 1,
                member_admitted{member_id{4}, std::nullopt, role::member, true, std::nullopt}));
        ok(send(k1, town, 1,
                delegation_granted{member_id{3},
                                   {event_kind::request_posted, event_kind::hours_confirmed},
                                   time_ms{0},
                                   member_id{4}}));
        ok(send(k10, elsewhere, 10, community_founded{"Elders", rules}));
    }

    static void ok(const http_response& a) { BOOST_REQUIRE_MESSAGE(a.status == 200, a.body); }

    http_response send(const signing_key& k, community_id c, std::uint64_t author, event_payload p,
                       const std::optional<personal_text>& personal = std::nullopt,
                       event_id id = random_event_id()) {
        auto e = k.seal(event_body{id, c, member_id{author}, sequence{++seq[author]}, time_ms{0},
                                   std::nullopt, std::move(p)});
        return api.handle(http_request{"POST", "/v1/events",
                                       personal ? uurwerk::testing::envelope_json(e, *personal)
                                                : uurwerk::testing::envelope_json(e),
                                       "", "", "127.0.0.1"});
    }

    http_response get(const std::string& target, const signing_key& k, community_id c,
                      std::uint64_t m) {
        return api.handle(
            http_request{"GET", target, "", bearer(k, c, member_id{m}), "", "127.0.0.1"});
    }

    json_doc read(const std::string& target, const signing_key& k, community_id c,
                  std::uint64_t m) {
        auto a = get(target, k, c, m);
        BOOST_REQUIRE_MESSAGE(a.status == 200, target << ": " << a.body);
        auto d = json_doc::parse(a.body);
        BOOST_REQUIRE(d.ok());
        return std::move(*d);
    }
};

const json_value& row_of(const json_value& roster, const std::string& member) {
    for (std::size_t i = 0; i < count(J(roster, "members")); ++i)
        if (str(J(roster, "members", i, "member")) == member) return J(roster, "members", i);
    BOOST_FAIL("no member " << member << " in the roster");
    return uurwerk::testing::null_json();
}

// "true", "false", or "?" when the value is no boolean.
std::string flag(const json_value& v) {
    const auto b = v.as_bool();
    return b ? (*b ? "true" : "false") : "?";
}

// Absent, or null.
bool absent(const json_value& v) {
    return std::holds_alternative<std::nullptr_t>(v.v);
}

std::string ids(const json_value& list) {
    std::string out;
    for (std::size_t i = 0; i < count(list); ++i) out += (i ? "," : "") + str(J(list, i));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_roster_is_for_the_communitys_coordinators_only) {
    office o;
    const std::string roster = "/v1/communities/7/roster";
    auto d = o.read(roster, o.k1, town, 1);
    BOOST_TEST(count(J(d.root(), "members")) == 4u);
    const auto& two = row_of(d.root(), "2");
    BOOST_TEST(flag(J(two, "verified")) == "false");
    BOOST_TEST(num(J(two, "keys")) == 1);
    BOOST_TEST(num(J(two, "balance_minutes")) == 0);
    BOOST_TEST(str(J(two, "last_active_ms")) == "1700000000000");  // admitted then
    const auto& four = row_of(d.root(), "4");
    BOOST_TEST(num(J(four, "keys")) == 0);  // no device
    BOOST_TEST(ids(J(four, "acted_for_by")) == "3");
    BOOST_TEST(ids(J(four, "acts_for")) == "");
    BOOST_TEST(ids(J(row_of(d.root(), "3"), "acts_for")) == "4");
    BOOST_TEST(num(J(row_of(d.root(), "1"), "keys")) == 1);

    // A member, a proxy acting for another, and the coordinator of another community: refused.
    BOOST_TEST(o.get(roster, o.k2, town, 2).status == 403u);
    BOOST_TEST(o.get(roster, o.k3, town, 3).status == 403u);
    BOOST_TEST(o.get(roster, o.k10, elsewhere, 10).status == 403u);
    BOOST_TEST(o.api.handle(http_request{"GET", roster, "", "", "", "127.0.0.1"}).status == 401u);
}

BOOST_AUTO_TEST_CASE(only_a_coordinator_verifies_and_the_roster_shows_it) {
    office o;
    // The member herself, another member, and another community's coordinator: rejected.
    for (auto [k, c, m] : {std::tuple{&o.k2, town, 2u}, {&o.k3, town, 3u}, {&o.k10, town, 10u}}) {
        auto a = o.send(*k, c, m, member_verified{member_id{2}});
        BOOST_TEST(a.status != 200u, a.body);
    }
    auto mine = o.send(o.k2, town, 2, member_verified{member_id{2}});
    BOOST_TEST(mine.status == 409u);
    BOOST_TEST(mine.body.find("not_coordinator") != std::string::npos, mine.body);
    auto before = o.read("/v1/communities/7/roster", o.k1, town, 1);
    BOOST_TEST(flag(J(row_of(before.root(), "2"), "verified")) == "false");

    office::ok(o.send(o.k1, town, 1, member_verified{member_id{2}}));
    auto after = o.read("/v1/communities/7/roster", o.k1, town, 1);
    BOOST_TEST(flag(J(row_of(after.root(), "2"), "verified")) == "true");
    // Her own overview says so too (the web app drops its "not verified yet" note).
    auto overview = o.read("/v1/communities/7/members/2/overview", o.k2, town, 2);
    BOOST_TEST(flag(J(overview.root(), "verified")) == "true");
    // A member who does not exist: rejected.
    auto nobody = o.send(o.k1, town, 1, member_verified{member_id{99}});
    BOOST_TEST(nobody.body.find("unknown_member") != std::string::npos, nobody.body);
}

BOOST_AUTO_TEST_CASE(the_export_names_the_help_and_the_reason_a_claim_was_reversed) {
    office o;
    request_posted ask;
    ask.what = category::shopping;
    ask.area = "3512";
    ask.availability = 4;
    const auto request = random_event_id();
    office::ok(o.send(o.k2, town, 2, ask, std::nullopt, request));
    // The open requests say since when each waits, and how often it was proposed (the console's
    // longest-waiting list, and its offers never proposed).
    auto open = o.read("/v1/communities/7/requests?limit=10", o.k1, town, 1);
    BOOST_REQUIRE(count(J(open.root(), "posts")) == 1u);
    BOOST_TEST(str(J(open.root(), "posts", 0, "posted_at_ms")) == "1700000000000");
    BOOST_TEST(num(J(open.root(), "posts", 0, "proposals")) == 0);
    const auto claim = random_event_id();
    office::ok(o.send(o.k3, town, 3, hours_claimed{member_id{2}, minutes{60}, request, {}},
                      std::nullopt, claim));
    office::ok(o.send(o.k2, town, 2, hours_confirmed{claim}));
    const personal_text why{fresh_salt(), "Dubbel geboekt."};
    office::ok(o.send(o.k1, town, 1, reversal{claim, commit_text(why.salt, why.text)}, why));

    auto x = o.read("/v1/communities/7/members/3/export", o.k1, town, 1);
    BOOST_REQUIRE(count(J(x.root(), "claims")) == 1u);
    const auto& c = J(x.root(), "claims", 0);
    BOOST_TEST(str(J(c, "id")) == claim.hex());
    BOOST_TEST(str(J(c, "status")) == "reversed");
    BOOST_TEST(str(J(c, "category")) == "shopping");
    BOOST_TEST(str(J(c, "reversal_reason")) == "Dubbel geboekt.");
    BOOST_REQUIRE(c.at("dispute_reason") != nullptr);  // there, and null: none was given
    BOOST_TEST(std::holds_alternative<std::nullptr_t>(c.at("dispute_reason")->v));
    // The roster's balances are back where they were.
    auto r = o.read("/v1/communities/7/roster", o.k1, town, 1);
    BOOST_TEST(num(J(row_of(r.root(), "3"), "balance_minutes")) == 0);
    BOOST_TEST(num(J(row_of(r.root(), "2"), "balance_minutes")) == 0);
    // The member's own export says the same; another member may not read it.
    auto own = o.read("/v1/communities/7/members/3/export", o.k3, town, 3);
    BOOST_TEST(str(J(own.root(), "claims", 0, "reversal_reason")) == "Dubbel geboekt.");
    BOOST_TEST(o.get("/v1/communities/7/members/3/export", o.k2, town, 2).status == 403u);
}

// The roster and the member list come in pages (?after=M&limit=N, "next" while members follow),
// so that one read holds one page, not a whole town: followed to the end, the pages hold every
// member once, in order, each with what the whole list shows of them (a delegation between
// members of different pages included). A bad cursor or limit is a clear 400.
BOOST_AUTO_TEST_CASE(the_roster_and_the_member_list_come_in_pages) {
    office o;
    for (const std::string list : {"roster", "members"}) {
        const std::string base = "/v1/communities/7/" + list;
        auto whole = o.read(base, o.k1, town, 1);
        BOOST_TEST(count(J(whole.root(), "members")) == 4u);
        BOOST_TEST(absent(J(whole.root(), "next")), list << ": nothing follows the whole list");
        for (const std::size_t limit : {1u, 3u}) {
            std::vector<std::string> seen;
            std::string after;
            for (int pages = 0; pages < 10; ++pages) {
                auto page = o.read(base + "?limit=" + std::to_string(limit) +
                                       (after.empty() ? "" : "&after=" + after),
                                   o.k1, town, 1);
                const auto& rows = J(page.root(), "members");
                BOOST_TEST(count(rows) <= limit);
                for (std::size_t i = 0; i < count(rows); ++i) {
                    const std::string m = str(J(rows, i, "member"));
                    seen.push_back(m);
                    // The same row as in the whole list.
                    const auto& same = row_of(whole.root(), m);
                    BOOST_TEST(str(J(rows, i, "display_name")) == str(J(same, "display_name")));
                    if (list == "roster") {
                        BOOST_TEST(ids(J(rows, i, "acts_for")) == ids(J(same, "acts_for")), m);
                        BOOST_TEST(ids(J(rows, i, "acted_for_by")) == ids(J(same, "acted_for_by")),
                                   m);
                        BOOST_TEST(num(J(rows, i, "keys")) == num(J(same, "keys")), m);
                    }
                }
                if (absent(J(page.root(), "next"))) break;
                after = str(J(page.root(), "next"));
                BOOST_TEST(after == seen.back(), "next is the last member shown");
            }
            BOOST_TEST((seen == std::vector<std::string>{"1", "2", "3", "4"}),
                       list << " in pages of " << limit);
        }
        // After the last member: an empty page, nothing next.
        auto past = o.read(base + "?after=4", o.k1, town, 1);
        BOOST_TEST(count(J(past.root(), "members")) == 0u);
        BOOST_TEST(absent(J(past.root(), "next")));
        for (const std::string bad : {"?after=abc", "?after=-1", "?limit=0", "?limit=1001",
                                      "?limit=x", "?after=99999999999999999999"}) {
            auto a = o.get(base + bad, o.k1, town, 1);
            BOOST_TEST(a.status == 400u, list << bad << ": " << a.status);
            BOOST_TEST(a.body.find("\"bad_request\"") != std::string::npos, a.body);
        }
    }
    // Paged or not, the roster stays the coordinators'.
    BOOST_TEST(o.get("/v1/communities/7/roster?limit=1", o.k2, town, 2).status == 403u);
}
